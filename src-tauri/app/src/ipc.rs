//! The IPC surface, declared once. `ipc!` takes each command as one Rust
//! function and makes from it the Tauri command, the handler that registers
//! it, the list of names the ACL grants, and its typed TypeScript call
//! (`ui/src/commands.ts`, checked by a test like the bindings): no command
//! or argument name is typed by hand on the other side.
//!
//! The TypeScript bindings of every type that crosses IPC (`ui/src/bindings.ts`)
//! are collected from the same declaration: each command's argument, event
//! and result types, and every type they name, transitively.
//!
//! A command reads `fn name(state, arg: Type, …) -> Ret { … }`: `state` is
//! the app's state (named by the caller, as macro hygiene wants; `_state`
//! when unused), `Ret` what the UI receives (every command may fail with an
//! `IpcError`), and a last `; on_event: Event` parameter is a progress
//! `Channel<Event>` — a callback on the TypeScript side.

#[cfg(test)]
use std::collections::BTreeSet;

#[cfg(test)]
/// One argument of a command, for the TypeScript side.
pub struct Arg {
    pub name: &'static str,
    pub ts: String,
}

#[cfg(test)]
/// One command, for the TypeScript side.
pub struct Command {
    pub name: &'static str,
    pub doc: &'static [&'static str],
    pub args: Vec<Arg>,
    /// The event type of its progress channel, if it has one.
    pub channel: Option<(&'static str, String)>,
    pub ret: String,
}

macro_rules! ipc {
    ($(
        $(#[doc = $doc:literal])*
        fn $name:ident($state:ident $(, $arg:ident : $ty:ty)* $(; $chan:ident : $ev:ty)?) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command(rename_all = "snake_case")]
            async fn $name(
                $state: tauri::State<'_, crate::AppState>,
                $($arg: $ty,)*
                $($chan: tauri::ipc::Channel<$ev>,)?
            ) -> Result<$ret, quiesce_engine::IpcError> $body
        )*

        /// Registers every command with Tauri.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Every command's name, as the ACL (build.rs) must list them.
        #[cfg(test)]
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        // The build script declares quiesce-ipc-names' list to the ACL: a
        // command missing there (or a name left there) fails the build.
        const _: () = assert!(
            quiesce_ipc_names::same_names(&[$(stringify!($name)),*], quiesce_ipc_names::COMMANDS),
            "the ipc! commands and quiesce-ipc-names' COMMANDS differ: add or remove the name there"
        );

        /// Visits the type of every argument, progress event and result: the
        /// roots the TypeScript bindings are collected from.
        #[cfg(test)]
        pub fn visit_types(v: &mut impl ts_rs::TypeVisitor) {
            $( $( v.visit::<$ty>(); )* $( v.visit::<$ev>(); )? v.visit::<$ret>(); )*
        }

        /// Every command, described for the TypeScript side.
        #[cfg(test)]
        pub fn described() -> Vec<crate::ipc::Command> {
            let cfg = ts_rs::Config::default();
            vec![$(
                crate::ipc::Command {
                    name: stringify!($name),
                    doc: &[$($doc),*],
                    args: vec![$(crate::ipc::Arg {
                        name: stringify!($arg),
                        ts: <$ty as ts_rs::TS>::name(&cfg),
                    }),*],
                    channel: None$(.or(Some((stringify!($chan), <$ev as ts_rs::TS>::name(&cfg)))))?,
                    ret: <$ret as ts_rs::TS>::name(&cfg),
                }
            ),*]
        }
    };
}
pub(crate) use ipc;

#[cfg(test)]
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        match c {
            '_' => up = true,
            c if up => {
                out.extend(c.to_uppercase());
                up = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
/// The types a TypeScript type names (to import from the bindings).
fn named_types(ts: &str, into: &mut BTreeSet<String>) {
    for w in ts.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        if w.starts_with(|c: char| c.is_ascii_uppercase()) && !["Array", "Record", "Partial", "Promise"].contains(&w) {
            into.insert(w.to_string());
        }
    }
}

#[cfg(test)]
/// `ui/src/commands.ts`: an interface with one typed method per command and
/// the function that implements it over an `invoke`-like `call`.
pub fn typescript(commands: &[Command]) -> String {
    let mut types = BTreeSet::new();
    let mut iface = String::new();
    let mut imple = String::new();
    for c in commands {
        let mut params: Vec<String> = c.args.iter().map(|a| format!("{}: {}", camel(a.name), a.ts)).collect();
        if let Some((chan, ev)) = &c.channel {
            params.push(format!("{}: (e: {ev}) => void", camel(chan)));
            named_types(ev, &mut types);
        }
        c.args.iter().for_each(|a| named_types(&a.ts, &mut types));
        named_types(&c.ret, &mut types);
        // A command that returns nothing (Rust's `()`, JSON null) is a Promise<void>.
        let ret = if c.ret == "null" { "void" } else { c.ret.as_str() };
        let sig = format!("{}({}): Promise<{ret}>", camel(c.name), params.join(", "));
        if !c.doc.is_empty() {
            let text = c.doc.iter().map(|d| d.trim()).collect::<Vec<_>>().join(" ");
            iface.push_str(&format!("  /** {text} */\n"));
        }
        iface.push_str(&format!("  {sig};\n"));
        let mut fields: Vec<String> = c
            .args
            .iter()
            .map(
                |a| if camel(a.name) == a.name { a.name.to_string() } else { format!("{}: {}", a.name, camel(a.name)) },
            )
            .collect();
        let names: Vec<String> = c.args.iter().map(|a| camel(a.name)).collect();
        let body = match &c.channel {
            Some((chan, ev)) => {
                fields.push(format!("{chan}: ch"));
                format!(
                    "{{\n      const ch = new Channel<{ev}>();\n      ch.onmessage = {};\n      return call(\"{}\", {{ {} }});\n    }}",
                    camel(chan),
                    c.name,
                    fields.join(", ")
                )
            }
            None if fields.is_empty() => format!("call(\"{}\")", c.name),
            None => format!("call(\"{}\", {{ {} }})", c.name, fields.join(", ")),
        };
        let all: Vec<String> = names.into_iter().chain(c.channel.iter().map(|(ch, _)| camel(ch))).collect();
        imple.push_str(&format!("    {}: ({}) => {body},\n", camel(c.name), all.join(", ")));
    }
    let types: Vec<String> = types.into_iter().collect();
    format!(
        "// Generated from the IPC commands by quiesce-app (src-tauri/app/src/ipc.rs).\n\
         // Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-app commands_ts` instead.\n\
         import {{ Channel }} from \"@tauri-apps/api/core\";\n\
         import type {{ {} }} from \"./bindings\";\n\n\
         /** Every command the Rust side answers, typed. */\n\
         export interface Commands {{\n{iface}}}\n\n\
         /** The commands over `call` (Tauri's invoke, with errors as BackendError). */\n\
         export function commands(call: <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>): Commands {{\n  return {{\n{imple}  }};\n}}\n",
        types.join(", ")
    )
}

#[cfg(test)]
/// `ui/src/bindings.ts`: the declaration of every type the commands' arguments,
/// events and results name, found by walking them (no list kept by hand).
pub fn bindings(visit_roots: impl FnOnce(&mut Collect)) -> String {
    let mut c = Collect { cfg: ts_rs::Config::default(), walked: Default::default(), decls: Default::default() };
    visit_roots(&mut c);
    let mut out = String::from(
        "// Generated from the IPC commands' types by quiesce-app (src-tauri/app/src/ipc.rs).\n\
         // Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-app bindings` instead.\n\n",
    );
    // By name: the order ts-rs walks a type's fields in is not the same from
    // one compilation to the next (it differs with the features enabled).
    for d in c.decls.into_values() {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
/// Collects declarations: a type that has one (a Rust struct or enum) is
/// declared once; containers (Vec, Option, tuples) are walked through.
pub struct Collect {
    cfg: ts_rs::Config,
    walked: std::collections::HashSet<std::any::TypeId>,
    /// Each declaration by its type's name.
    decls: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
impl ts_rs::TypeVisitor for Collect {
    fn visit<T: ts_rs::TS + 'static + ?Sized>(&mut self) {
        if !self.walked.insert(std::any::TypeId::of::<T>()) {
            return;
        }
        if T::output_path().is_some() {
            self.decls.entry(T::ident(&self.cfg)).or_insert_with(|| T::decl(&self.cfg));
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn camel_case_of_command_and_argument_names() {
        assert_eq!(super::camel("start_backup"), "startBackup");
        assert_eq!(super::camel("id"), "id");
        assert_eq!(super::camel("job_id"), "jobId");
    }

    #[test]
    fn commands_ts_is_generated_from_the_commands_and_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/commands.ts");
        let fresh = super::typescript(&crate::commands::described());
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/commands.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p quiesce-app commands_ts` and commit it"
        );
    }

    #[test]
    fn bindings_are_generated_from_the_commands_and_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
        let fresh = super::bindings(|c| {
            crate::commands::visit_types(c);
            // What every command may fail with.
            ts_rs::TypeVisitor::visit::<quiesce_engine::IpcError>(c);
            // What the UI decodes the timeline's columns into (`ui/src/data/columns.ts`).
            ts_rs::TypeVisitor::visit::<quiesce_engine::points::Timeline>(c);
        });
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        // Every type a binding names is declared (a field with its own
        // `#[ts(type = …)]` names nothing; one with a TS type not walked would).
        let declared: std::collections::HashSet<&str> = fresh
            .lines()
            .filter_map(|l| l.strip_prefix("export type "))
            .filter_map(|l| l.split([' ', '<']).next())
            .collect();
        let mut undeclared: Vec<&str> = fresh
            .lines()
            .map(str::trim_start)
            .filter(|l| !l.starts_with("//") && !l.starts_with("/*") && !l.starts_with('*'))
            // Words outside string literals (enum values are "quoted").
            .flat_map(|l| l.split('"').step_by(2))
            .flat_map(|l| l.split(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
            .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && !declared.contains(w))
            .filter(|w| !["Array", "Record", "Partial"].contains(w))
            .collect();
        undeclared.sort();
        undeclared.dedup();
        assert!(undeclared.is_empty(), "bindings name types they do not declare: {undeclared:?}");
        for t in ["Profile", "JobEvent", "AppEvent", "IpcError", "RunbookFormat", "Overview", "MigrationResult"] {
            assert!(declared.contains(t), "{t} crosses IPC but is not in the bindings");
        }
        // serde_json sends 64-bit integers as JSON numbers, never as BigInt.
        assert!(!fresh.contains("bigint"), "an i64/u64 field needs #[ts(type = \"number\")]: JSON has no bigint");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p quiesce-app bindings` and commit it"
        );
    }

    #[test]
    fn the_capability_grants_exactly_the_declared_commands() {
        // The build script wrote it; what Tauri loaded is what is on disk.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/default.json");
        let cap: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut granted: Vec<String> =
            cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
        let mut declared: Vec<String> =
            crate::commands::COMMANDS.iter().map(|c| quiesce_ipc_names::permission(c)).collect();
        granted.sort_unstable();
        declared.sort_unstable();
        assert_eq!(granted, declared, "capabilities/default.json and the ipc! commands differ");
    }
}
