// Quiesce's commands are declared to Tauri's ACL, so each must be granted
// to a window by a capability to be callable: nothing the webview reaches is
// allowed by default. The names come from quiesce-ipc-names (the app checks
// its commands against them when it compiles), and the capability that grants
// exactly them, capabilities/default.json, is written from them here.
use quiesce_ipc_names::{permission, COMMANDS};

const DESCRIPTION: &str = "The main window may call Quiesce's own commands, each granted by name, and nothing of Tauri's core: the UI needs no window, event, path or menu API (Channels' data fetch is not permission-gated). Written by build.rs from quiesce-ipc-names; docs/security.md lists this set, and a test fails when it changes without docs/security.md.";

fn capability() -> String {
    let permissions: Vec<String> = COMMANDS.iter().map(|c| format!("    \"{}\"", permission(c))).collect();
    format!(
        "{{\n  \"$schema\": \"../gen/schemas/desktop-schema.json\",\n  \"identifier\": \"default\",\n  \"description\": {},\n  \"windows\": [\n    \"main\"\n  ],\n  \"permissions\": [\n{}\n  ]\n}}\n",
        json_string(DESCRIPTION),
        permissions.join(",\n")
    )
}

fn json_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn main() {
    // Rewritten only when it differs, so an unchanged list does not trigger
    // Tauri's rebuild of its ACL.
    let path = std::path::Path::new("capabilities/default.json");
    let fresh = capability();
    if std::fs::read_to_string(path).ok().as_deref() != Some(fresh.as_str()) {
        std::fs::write(path, &fresh).expect("write capabilities/default.json");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}
