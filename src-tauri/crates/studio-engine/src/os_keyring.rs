//! API keys kept in the operating system's key store: the kernel key store (keyutils) on
//! Linux, the Keychain on macOS, the Credential Manager on Windows.
//!
//! An entry is named by a service (default [`DEFAULT_SERVICE`]) and a user (any name the
//! operator picks, e.g. `openai`). `mission keyring set USER` stores one, the secret read from
//! standard input. On Linux the kernel key store keeps entries in memory only: they last for
//! the login and a few days after, not across a reboot.

/// The service of the entries Mission Studio reads when a step names none.
pub const DEFAULT_SERVICE: &str = "mission-studio";

fn entry(service: &str, user: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(service, user).map_err(|e| {
        format!("cannot open the OS keyring entry (service `{service}`, user `{user}`): {e}")
    })
}

/// Reads an entry: `Ok(None)` when there is none.
pub fn get(service: &str, user: &str) -> Result<Option<String>, String> {
    match entry(service, user)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(format!(
            "cannot read the OS keyring entry (service `{service}`, user `{user}`): {e}"
        )),
    }
}

/// Stores (or replaces) an entry.
pub fn set(service: &str, user: &str, secret: &str) -> Result<(), String> {
    entry(service, user)?.set_password(secret).map_err(|e| {
        let hint = if cfg!(target_os = "linux") && matches!(e, keyring::Error::NoEntry) {
            // The kernel answers "access denied" when the process has no keyring of its own
            // (no login: containers, services).
            " (the kernel key store refused it: run it from a desktop or SSH login, where the \
             process gets a keyring of its own)"
        } else {
            ""
        };
        format!("cannot store the OS keyring entry (service `{service}`, user `{user}`): {e}{hint}")
    })
}

/// Removes an entry; `Ok(false)` when there was none.
pub fn delete(service: &str, user: &str) -> Result<bool, String> {
    match entry(service, user)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(format!(
            "cannot remove the OS keyring entry (service `{service}`, user `{user}`): {e}"
        )),
    }
}
