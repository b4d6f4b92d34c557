//! `terminal.configuration` and `file`: what readers show (splash screens, tipping) and when
//! they reboot, and the uploads splash screens are made of.

use super::Expandable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `terminal.configuration`. Settings Stripe has not been given are absent (`None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminalConfiguration {
    pub id: String,
    /// The configuration Stripe provisions for the account, used where no location overrides.
    pub is_account_default: Option<bool>,
    pub name: Option<String>,
    #[serde(default)]
    pub livemode: bool,
    pub bbpos_wisepos_e: Option<DeviceSettings>,
    pub bbpos_wisepad3: Option<DeviceSettings>,
    pub stripe_s700: Option<DeviceSettings>,
    pub stripe_s710: Option<DeviceSettings>,
    pub verifone_p400: Option<DeviceSettings>,
    /// Per lower-case currency code.
    pub tipping: Option<BTreeMap<String, CurrencyTipping>>,
    pub reboot_window: Option<RebootWindow>,
    pub offline: Option<Enabled>,
    pub cellular: Option<Enabled>,
}

impl TerminalConfiguration {
    /// The tipping suggestions for `currency`, if readers show a tipping screen for it.
    pub fn tipping_for(&self, currency: &str) -> Option<&CurrencyTipping> {
        self.tipping
            .as_ref()
            .and_then(|t| t.get(&currency.to_ascii_lowercase()))
    }
}

/// A device type's settings: its splash screen, a file id or (expanded) the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSettings {
    pub splashscreen: Option<Expandable<File>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTipping {
    pub fixed_amounts: Option<Vec<i64>>,
    pub percentages: Option<Vec<i64>>,
    /// Below it the reader suggests the fixed amounts, above it the percentages.
    pub smart_tip_threshold: Option<i64>,
}

/// Hours (0–23, the reader's local time) between which readers install updates and reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootWindow {
    pub start_hour: i64,
    pub end_hour: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enabled {
    pub enabled: Option<bool>,
}

/// `file`: an upload (a splash screen, a collected signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub id: String,
    pub purpose: String,
    pub size: i64,
    /// `png`, `jpg`, `gif`, `pdf`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub filename: Option<String>,
    /// Where the bytes are, readable with the account's secret key.
    pub url: Option<String>,
    pub created: i64,
    pub expires_at: Option<i64>,
    pub title: Option<String>,
}
