//! A private CA and a server certificate for the name `localhost` only (no IP
//! SAN), so connecting to 127.0.0.1 tells verify-ca (passes) from verify-full
//! (host name mismatch).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct TlsMaterial {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl TlsMaterial {
    pub fn generate(dir: &Path) -> TlsMaterial {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        std::fs::create_dir_all(dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "Quiesce Test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let srv_key = KeyPair::generate().unwrap();
        let mut srv = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        srv.distinguished_name.push(DnType::CommonName, "localhost");
        let srv_cert = srv.signed_by(&srv_key, &issuer).unwrap();
        let m = TlsMaterial {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        };
        std::fs::write(&m.ca_cert, ca_cert.pem()).unwrap();
        std::fs::write(&m.server_cert, srv_cert.pem()).unwrap();
        std::fs::write(&m.server_key, srv_key.serialize_pem()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&m.server_key, std::fs::Permissions::from_mode(0o600)).unwrap();
        m
    }
}
