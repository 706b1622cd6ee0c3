//! The engine's layering, enforced: a module may use modules of its own
//! layer or of the layers below it, never of a layer above, and no two
//! modules use each other (directly or round a longer loop). ARCHITECTURE.md
//! draws the same layers; a new module must be placed in one here.
//!
//! Read from the sources (`crate::x` paths and `use crate::{x, …}` groups),
//! leaving out each file's test module: tests may build fixtures from any layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom first. Keep in step with ARCHITECTURE.md.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "error",
            "sensitive",
            "size",
            "text",
            "scalardb",
            "duration",
            "paths",
            "store",
            "logging",
            "secrets",
            "properties",
        ],
    ),
    ("tools", &["tools"]),
    ("profiles and connections", &["profile", "connect"]),
    ("deployments", &["deployment", "admin"]),
    ("inspection", &["discovery", "live", "grants", "plan"]),
    ("records", &["history", "job", "catalog"]),
    (
        "operations",
        &["archive", "pause", "verify", "backup", "restore", "points", "runbook", "migrate", "subject", "demo"],
    ),
    ("application", &["overview", "state_audit", "recovery", "startup", "api"]),
    ("use cases", &["usecases"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules `lib.rs` declares.
fn declared() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn ident_at(s: &str) -> String {
    s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// The top-level modules a file's non-test code names.
fn uses(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    // The test module (`#[cfg(test)] mod …`, last in a file by convention);
    // a single `#[cfg(test)]` item elsewhere is read like the rest.
    let code = text.split("#[cfg(test)]\nmod ").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}}`: the first name of each item at depth 0.
            let (mut depth, mut start) = (0, true);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphabetic() || c == '_') => {
                        out.insert(ident_at(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident_at(rest));
        }
    }
    out.retain(|m| modules.contains(m));
    out
}

/// Which top-level module each module uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = declared();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for f in files {
        let rel = f.strip_prefix(src()).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if first == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let mut used = uses(&text, &modules);
        used.remove(&first);
        g.entry(first).or_default().extend(used);
    }
    g
}

fn layer_of() -> BTreeMap<&'static str, usize> {
    LAYERS.iter().enumerate().flat_map(|(i, (_, ms))| ms.iter().map(move |m| (*m, i))).collect()
}

#[test]
fn every_module_is_placed_in_exactly_one_layer() {
    let placed: Vec<&str> = LAYERS.iter().flat_map(|(_, ms)| ms.iter().copied()).collect();
    let unique: BTreeSet<&str> = placed.iter().copied().collect();
    assert_eq!(unique.len(), placed.len(), "a module is placed twice: {placed:?}");
    let declared = declared();
    let missing: Vec<&String> = declared.iter().filter(|m| !unique.contains(m.as_str())).collect();
    assert!(
        missing.is_empty(),
        "modules in lib.rs with no layer (add them to LAYERS and ARCHITECTURE.md): {missing:?}"
    );
    let gone: Vec<&&str> = unique.iter().filter(|m| !declared.contains(**m)).collect();
    assert!(gone.is_empty(), "LAYERS names modules lib.rs does not have: {gone:?}");
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let layer = layer_of();
    let mut upward = Vec::new();
    for (m, used) in graph() {
        let Some(&mine) = layer.get(m.as_str()) else { continue };
        for u in used {
            if let Some(&theirs) = layer.get(u.as_str()) {
                if theirs > mine {
                    upward.push(format!("{m} ({}) uses {u} ({})", LAYERS[mine].0, LAYERS[theirs].0));
                }
            }
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn no_two_modules_depend_on_each_other() {
    // Depth-first search for a back edge; the loop found is printed.
    let g = graph();
    fn visit<'a>(
        m: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m);
            return Some(cycle.join(" -> "));
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for u in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(u, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(c) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("an import cycle: {c}");
        }
    }
}

#[test]
fn the_reader_sees_grouped_and_plain_paths() {
    // The parser itself: a test of the test, so a blind reader cannot pass.
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
    let text = "use crate::a::X;\nuse crate::{b, c::{Y, Z}};\nfn f() { crate::d::g() }\n#[cfg(test)]\nmod tests { use crate::e; }";
    assert_eq!(uses(text, &set(&["a", "b", "c", "d", "e"])), set(&["a", "b", "c", "d"]), "the test module is left out");
}
