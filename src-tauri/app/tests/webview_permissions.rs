//! The webview's reach, from what Tauri itself generated at build time: the
//! permissions the capabilities grant must be exactly those docs/security.md
//! lists (a new one fails here until it is documented),
//! each must exist, none of Tauri's core permissions is granted without
//! being listed, and the CSP stays strict (no remote content, no eval).

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&read(rel)).unwrap()
}

/// Every permission granted by the generated capability set.
fn granted() -> BTreeSet<String> {
    let caps = json("gen/schemas/capabilities.json");
    let mut out = BTreeSet::new();
    for (_, cap) in caps.as_object().unwrap() {
        for p in cap["permissions"].as_array().unwrap() {
            let id = p.as_str().map(str::to_string).unwrap_or_else(|| p["identifier"].as_str().unwrap().to_string());
            out.insert(id);
        }
    }
    out
}

/// The permissions docs/security.md's "Webview permissions" part lists (backquoted).
fn documented() -> BTreeSet<String> {
    let doc = read("../../docs/security.md");
    let start = doc.find("### Webview permissions").expect("docs/security.md has a '### Webview permissions' section");
    let section = &doc[start + 4..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| t.starts_with("allow-") || t.starts_with("deny-") || t.starts_with("core:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_granted_permissions_are_exactly_the_documented_ones_and_exist() {
    let (granted, documented) = (granted(), documented());
    let undocumented: Vec<_> = granted.difference(&documented).collect();
    assert!(undocumented.is_empty(), "granted to the webview but not in docs/security.md: {undocumented:?}");
    let stale: Vec<_> = documented.difference(&granted).collect();
    assert!(stale.is_empty(), "listed in docs/security.md but not granted any more: {stale:?}");
    let acl = json("gen/schemas/acl-manifests.json");
    for p in &granted {
        let (manifest, name) = match p.split_once(':') {
            Some(("core", rest)) => match rest.rsplit_once(':') {
                Some((plugin, perm)) => (format!("core:{plugin}"), perm.to_string()),
                None => ("core".to_string(), rest.to_string()),
            },
            _ => ("__app-acl__".to_string(), p.clone()),
        };
        let m = &acl[&manifest];
        let exists = m["permissions"].get(&name).is_some()
            || m["permission_sets"].get(&name).is_some()
            || (name == "default" && !m["default_permission"].is_null());
        assert!(exists, "{p} is granted but no manifest defines it");
    }
}

#[test]
fn the_content_security_policy_stays_strict() {
    let conf = json("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"].as_str().expect("a CSP is set");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    for d in ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-src 'none'", "base-uri 'none'"] {
        assert!(csp.contains(d), "the CSP lacks {d}: {csp}");
    }
    // No remote origin anywhere: only the app's own and Tauri's IPC.
    let remote: Vec<&str> = csp
        .split([' ', ';'])
        .filter(|t| t.contains("://") || t.ends_with(':') && !matches!(*t, "ipc:" | "data:"))
        .filter(|t| *t != "http://ipc.localhost")
        .collect();
    assert!(remote.is_empty(), "remote sources in the CSP: {remote:?}");
    assert!(conf["app"]["security"]["dangerousDisableAssetCspModification"].is_null());
}
