//! The ScalarDB properties a migrated deployment runs with, and what its
//! imported properties file already says.

use super::layout::Engine;
use super::plan::TargetPlan;
use crate::deployment::{Deployment, NamespaceMapping};
use crate::error::{Error, Result};
use crate::profile::Profile;

/// `database.properties` for the target: one storage or multi-storage (no password).
pub(super) fn properties(
    d: &Deployment,
    targets: &[TargetPlan],
    profiles: &[&Profile],
    mapping: &[NamespaceMapping],
    engines: &[Engine],
) -> String {
    let url = |p: &Profile, e: Engine| -> String {
        match e {
            Engine::Postgresql => format!(
                "jdbc:postgresql://{}:{}/{}",
                p.host.as_deref().unwrap_or("localhost"),
                p.port.unwrap_or(5432),
                p.database.as_deref().unwrap_or("postgres")
            ),
            Engine::Mariadb => {
                format!("jdbc:mariadb://{}:{}/", p.host.as_deref().unwrap_or("localhost"), p.port.unwrap_or(3306))
            }
            Engine::Mysql { .. } => {
                format!("jdbc:mysql://{}:{}/", p.host.as_deref().unwrap_or("localhost"), p.port.unwrap_or(3306))
            }
            Engine::Sqlite => format!("jdbc:sqlite:{}?busy_timeout=50000", p.path.as_deref().unwrap_or("")),
        }
    };
    let mut out = vec![
        format!("# database.properties for deployment \"{}\" after its migration by Quiesce.", d.name),
        "# Set the password(s) where marked; Quiesce never writes one.".to_string(),
        format!("scalar.db.transaction_manager={}", d.transaction_manager.as_str()),
    ];
    let key_size = |e: Engine, prefix: &str| match e {
        Engine::Mysql { key_size } if key_size != 128 => {
            vec![format!("{prefix}jdbc.mysql.variable_key_column_size={key_size}")]
        }
        _ => vec![],
    };
    if targets.len() == 1 {
        let (p, e) = (profiles[0], engines[0]);
        out.push("scalar.db.storage=jdbc".into());
        out.push(format!("scalar.db.contact_points={}", url(p, e)));
        if e != Engine::Sqlite {
            out.push(format!("scalar.db.username={}", p.user.as_deref().unwrap_or("")));
            out.push("# scalar.db.password=<the password of this user>".into());
        }
        out.extend(key_size(e, "scalar.db."));
    } else {
        out.push("scalar.db.storage=multi-storage".into());
        out.push(format!(
            "scalar.db.multi_storage.storages={}",
            targets.iter().map(|t| t.storage.as_str()).collect::<Vec<_>>().join(",")
        ));
        for ((t, p), e) in targets.iter().zip(profiles).zip(engines) {
            let pre = format!("scalar.db.multi_storage.storages.{}.", t.storage);
            out.push(format!("{pre}storage=jdbc"));
            out.push(format!("{pre}contact_points={}", url(p, *e)));
            if *e != Engine::Sqlite {
                out.push(format!("{pre}username={}", p.user.as_deref().unwrap_or("")));
                out.push(format!("# {pre}password=<the password of this user>"));
            }
            out.extend(key_size(*e, &pre));
        }
        out.push(format!(
            "scalar.db.multi_storage.namespace_mapping={}",
            mapping.iter().map(|m| format!("{}:{}", m.namespace, m.storage)).collect::<Vec<_>>().join(",")
        ));
        out.push(format!("scalar.db.multi_storage.default_storage={}", targets[0].storage));
    }
    if d.coordinator_namespace != crate::deployment::DEFAULT_COORDINATOR_NAMESPACE {
        out.push(format!("scalar.db.consensus_commit.coordinator.namespace={}", d.coordinator_namespace));
    }
    if d.system_namespace != crate::deployment::DEFAULT_SYSTEM_NAMESPACE {
        out.push(format!("scalar.db.jdbc.table_metadata.schema={}", d.system_namespace));
    }
    out.join("\n") + "\n"
}

/// `scalar.db.jdbc.mysql.variable_key_column_size` of the properties file the
/// deployment was imported from, if that file is still there and sets it. A
/// value ScalarDB could not read is an error, not a silent 128.
pub(super) fn key_size_in_properties(d: &Deployment) -> Result<Option<(u32, String)>> {
    const KEY: &str = "scalar.db.jdbc.mysql.variable_key_column_size";
    let Some(file) = d.source.as_ref().map(|s| &s.file) else { return Ok(None) };
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(None) };
    let Ok(props) = crate::properties::parse(file, &text) else { return Ok(None) };
    let Some(p) = props.iter().rev().find(|p| p.key == KEY) else { return Ok(None) };
    match p.value.trim().parse() {
        Ok(n) => Ok(Some((n, file.clone()))),
        Err(_) => Err(Error::invalid(format!(
            "{KEY} in {file} is {:?}, not a number of bytes. Fix it there, or give --mysql-key-size.",
            p.value
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::Deployment;

    fn imported_from(text: &str) -> (tempfile::TempDir, Deployment) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("database.properties");
        std::fs::write(&file, text).unwrap();
        let (mut d, _) = crate::deployment::test_deployment("d", &[], &[]);
        d.source = Some(crate::deployment::ImportSource {
            file: file.to_string_lossy().into(),
            sha256: String::new(),
            imported_at: Default::default(),
        });
        (dir, d)
    }

    #[test]
    fn mysql_key_size_comes_from_the_imported_properties_and_a_bad_one_is_named() {
        let (_dir, d) = imported_from(
            "scalar.db.storage=jdbc\nscalar.db.jdbc.mysql.variable_key_column_size=64\nscalar.db.jdbc.mysql.variable_key_column_size = 200\n",
        );
        assert_eq!(key_size_in_properties(&d).unwrap().map(|(n, _)| n), Some(200), "the last setting wins");
        let (_dir, d) = imported_from("scalar.db.storage=jdbc\n");
        assert_eq!(key_size_in_properties(&d).unwrap(), None);
        let (_dir, d) = imported_from("scalar.db.jdbc.mysql.variable_key_column_size=big\n");
        let e = key_size_in_properties(&d).unwrap_err().to_string();
        assert!(
            e.contains("variable_key_column_size") && e.contains("\"big\"") && e.contains("--mysql-key-size"),
            "{e}"
        );
        let (d, _) = crate::deployment::test_deployment("d", &[], &[]);
        assert_eq!(key_size_in_properties(&d).unwrap(), None, "not imported from a file");
    }
}
