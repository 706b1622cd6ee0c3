//! End-to-end suites live in tests/. They drive the real built app (with the
//! front end embedded) through tauri-driver and WebKitWebDriver; run them with
//! scripts/test.sh, which provides Xvfb, a D-Bus session and an unlocked keyring.
