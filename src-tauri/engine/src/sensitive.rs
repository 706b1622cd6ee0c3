//! A wrapper for secrets that cannot leak through Debug, Display or Serialize.
//!
//! Deserialize is allowed (a password typed in the GUI reaches the engine this
//! way); serializing fails outright, so a secret can never be sent back over
//! IPC, written to a state file or printed as JSON by accident.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The only way to the value. Grep for `expose` to audit every use.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Sensitive<String> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> Serialize for Sensitive<T> {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refusing to serialize a secret (Sensitive<T>)"))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Sensitive)
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_reveals_the_value() {
        let s = Sensitive::new("hunter2".to_string());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert!(serde_json::to_string(&s).is_err());
        #[derive(serde::Serialize)]
        struct Outer {
            password: Sensitive<String>,
        }
        assert!(serde_json::to_string(&Outer { password: s.clone() }).is_err());
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn deserializes_from_a_plain_value() {
        let s: Sensitive<String> = serde_json::from_str("\"pw\"").unwrap();
        assert_eq!(s.expose(), "pw");
    }
}
