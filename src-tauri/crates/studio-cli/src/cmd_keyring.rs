//! `mission keyring`: API keys in the OS keyring, read by `llm` steps (`api_key_keyring`).

use clap::Subcommand;
use std::io::Read;
use studio_api::studio_engine::os_keyring;

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Store a secret, read from standard input (one line; the final newline is dropped), as
    /// the entry USER of the service. A step reads it with `api_key_keyring: USER`.
    Set {
        #[arg(value_name = "USER")]
        user: String,
        /// The entry's service (a step names it with `api_key_keyring_service`).
        #[arg(long, value_name = "SERVICE", default_value = os_keyring::DEFAULT_SERVICE)]
        service: String,
    },
    /// Remove the entry USER of the service.
    Delete {
        #[arg(value_name = "USER")]
        user: String,
        #[arg(long, value_name = "SERVICE", default_value = os_keyring::DEFAULT_SERVICE)]
        service: String,
    },
}

/// Exit code: 0 done, 1 the keyring refused, 2 nothing to store or remove.
pub fn keyring(command: &KeyringCommand) -> u8 {
    match command {
        KeyringCommand::Set { user, service } => {
            let mut secret = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut secret) {
                eprintln!("error: cannot read the secret from standard input: {e}");
                return 2;
            }
            let secret = secret.trim_end_matches(['\r', '\n']);
            if secret.is_empty() {
                eprintln!("error: no secret on standard input");
                return 2;
            }
            match os_keyring::set(service, user, secret) {
                Ok(()) => {
                    eprintln!("stored: service `{service}`, user `{user}`");
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
        KeyringCommand::Delete { user, service } => match os_keyring::delete(service, user) {
            Ok(true) => {
                eprintln!("removed: service `{service}`, user `{user}`");
                0
            }
            Ok(false) => {
                eprintln!("no entry: service `{service}`, user `{user}`");
                2
            }
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
    }
}
