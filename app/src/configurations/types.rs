//! What crosses the wire about reader configurations.

use crate::money::format_amount as format_minor;
use serde::{Deserialize, Serialize};

/// The device types a configuration holds a splash screen for: Stripe's setting name and the
/// name people know.
pub const DEVICE_TYPES: [(&str, &str); 5] = [
    ("bbpos_wisepos_e", "BBPOS WisePOS E"),
    ("stripe_s700", "Stripe Reader S700"),
    ("stripe_s710", "Stripe Reader S710"),
    ("bbpos_wisepad3", "BBPOS WisePad 3"),
    ("verifone_p400", "Verifone P400"),
];

/// How many currencies the form offers tipping for at once.
pub const TIPPING_SLOTS: usize = 3;

/// The largest splash screen accepted: Stripe takes JPG and PNG up to 2 MB (GIF up to 4 MB);
/// ours is one bound for all three, below the server's request limit.
pub const MAX_SPLASH_BYTES: usize = 2 * 1024 * 1024;

/// Tip suggestions for one currency (amounts in minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TippingView {
    /// Lower-case ISO code.
    pub currency: String,
    pub percentages: Vec<i64>,
    pub fixed_amounts: Vec<i64>,
    pub smart_tip_threshold: Option<i64>,
}

impl TippingView {
    /// "USD: 15%, 18%, 20% · $1.00, $2.00 under $10.00", for lists and the reader page.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.percentages.is_empty() {
            parts.push(
                self.percentages
                    .iter()
                    .map(|p| format!("{p}%"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if !self.fixed_amounts.is_empty() {
            parts.push(
                self.fixed_amounts
                    .iter()
                    .map(|a| format_minor(*a, &self.currency))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        let mut text = format!("{}: {}", self.currency.to_uppercase(), parts.join(" · "));
        if let Some(t) = self.smart_tip_threshold {
            text.push_str(&format!(
                " (fixed amounts below {})",
                format_minor(t, &self.currency)
            ));
        }
        text
    }
}

/// A device type's splash screen: a file of the account, shown through our server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplashView {
    pub device_type: String,
    pub file_id: String,
}

/// One configuration as Stripe holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationView {
    pub id: String,
    pub name: Option<String>,
    pub is_account_default: bool,
    pub tipping: Vec<TippingView>,
    pub splash: Vec<SplashView>,
    /// Start and end hour (0–23, the reader's local time).
    pub reboot_window: Option<(i64, i64)>,
}

impl ConfigurationView {
    /// What people call it: its name, or "Account default" for Stripe's unnamed default.
    pub fn title(&self) -> String {
        match (&self.name, self.is_account_default) {
            (Some(name), false) if !name.is_empty() => name.clone(),
            (Some(name), true) if !name.is_empty() => format!("{name} (account default)"),
            (_, true) => "Account default".into(),
            _ => self.id.clone(),
        }
    }

    /// Whether readers using it show a tipping screen for `currency`.
    pub fn tips_in(&self, currency: &str) -> bool {
        self.tipping
            .iter()
            .any(|t| t.currency.eq_ignore_ascii_case(currency))
    }

    pub fn splash_for(&self, device_type: &str) -> Option<&SplashView> {
        self.splash.iter().find(|s| s.device_type == device_type)
    }
}

/// A location that overrides the account default, as the settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverridingLocation {
    pub id: String,
    pub display_name: String,
}

/// One configuration with the locations that use it instead of the account default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationEntry {
    pub configuration: ConfigurationView,
    pub locations: Vec<OverridingLocation>,
}

/// The configurations of one Stripe account (one connection of the organisation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfigurations {
    pub connection_id: String,
    pub connection_name: String,
    pub simulated: bool,
    /// Newest first, the account default last (as Stripe lists them).
    pub configurations: Vec<ConfigurationEntry>,
    /// Why Stripe could not be read for this account, when it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationsView {
    pub accounts: Vec<AccountConfigurations>,
    pub can_manage: bool,
}

/// Where the configuration in force comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The reader's location overrides the account default.
    Location { id: String, display_name: String },
    /// No override: the account's default configuration.
    AccountDefault,
}

/// The configuration a reader (or a location's readers) use, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InForce {
    pub source: Source,
    /// `None` when Stripe could not be read (see `error`).
    pub configuration: Option<ConfigurationView>,
    pub error: Option<String>,
}

impl InForce {
    /// Whether a tip may be offered for `currency`: yes when tipping is set for it, and when
    /// Stripe could not be read (Stripe then decides, and its refusal is explained).
    pub fn may_tip(&self, currency: &str) -> bool {
        self.configuration
            .as_ref()
            .is_none_or(|c| c.tips_in(currency))
    }

    pub fn source_text(&self) -> String {
        match &self.source {
            Source::Location { display_name, .. } => {
                format!("Chosen for the location {display_name}")
            }
            Source::AccountDefault => {
                "The Stripe account's default (the location overrides nothing)".into()
            }
        }
    }
}

/// A location's configuration panel: what is in force and, for managers, the choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationConfigurationView {
    pub location_id: String,
    pub in_force: InForce,
    /// The override, when the location has one.
    pub override_id: Option<String>,
    /// The account's configurations other than its default (id, title), for managers.
    pub choices: Vec<(String, String)>,
    pub can_manage: bool,
}

/// What the create and edit forms send (`form[…]`). Numbers stay text until the server
/// reads them, so a wrong one is reported on its field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigurationForm {
    pub name: String,
    pub currency_1: String,
    pub percentages_1: String,
    pub fixed_amounts_1: String,
    pub threshold_1: String,
    pub currency_2: String,
    pub percentages_2: String,
    pub fixed_amounts_2: String,
    pub threshold_2: String,
    pub currency_3: String,
    pub percentages_3: String,
    pub fixed_amounts_3: String,
    pub threshold_3: String,
    /// Empty both: no reboot window.
    pub reboot_start: String,
    pub reboot_end: String,
}

impl ConfigurationForm {
    /// The form's tipping rows: (currency, percentages, fixed amounts, threshold).
    pub fn tipping_rows(&self) -> [(&str, &str, &str, &str); TIPPING_SLOTS] {
        [
            (
                &self.currency_1,
                &self.percentages_1,
                &self.fixed_amounts_1,
                &self.threshold_1,
            ),
            (
                &self.currency_2,
                &self.percentages_2,
                &self.fixed_amounts_2,
                &self.threshold_2,
            ),
            (
                &self.currency_3,
                &self.percentages_3,
                &self.fixed_amounts_3,
                &self.threshold_3,
            ),
        ]
    }
}

/// The splash upload's outcome, named in the URL the upload redirects to (`?splash=…`): only
/// these words, so no link can put other text on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplashOutcome {
    Saved,
    NotAnImage,
    TooLarge,
    Missing,
    Refused,
    Forbidden,
    Failed,
}

impl SplashOutcome {
    pub const ALL: [SplashOutcome; 7] = [
        SplashOutcome::Saved,
        SplashOutcome::NotAnImage,
        SplashOutcome::TooLarge,
        SplashOutcome::Missing,
        SplashOutcome::Refused,
        SplashOutcome::Forbidden,
        SplashOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SplashOutcome::Saved => "saved",
            SplashOutcome::NotAnImage => "not_an_image",
            SplashOutcome::TooLarge => "too_large",
            SplashOutcome::Missing => "missing",
            SplashOutcome::Refused => "refused",
            SplashOutcome::Forbidden => "forbidden",
            SplashOutcome::Failed => "failed",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == word)
    }

    pub fn ok(self) -> bool {
        self == SplashOutcome::Saved
    }

    pub fn sentence(self) -> String {
        match self {
            SplashOutcome::Saved => "Splash screen saved in Stripe.".into(),
            SplashOutcome::NotAnImage => {
                "That file is not a PNG, JPEG or GIF image. Choose a picture in one of those formats.".into()
            }
            SplashOutcome::TooLarge => format!(
                "That image is larger than {} MB. Make it smaller (e.g. 720×1280 for the WisePOS E, 1080×1920 for the S700) and upload it again.",
                MAX_SPLASH_BYTES / (1024 * 1024)
            ),
            SplashOutcome::Missing => "Choose an image file to upload.".into(),
            SplashOutcome::Refused => {
                "Stripe refused the image for this device type (the WisePad 3 takes PNG only, the P400 no GIF).".into()
            }
            SplashOutcome::Forbidden => {
                "Only owners and admins change reader configurations.".into()
            }
            SplashOutcome::Failed => {
                "Stripe could not be reached to save the splash screen. Try again in a moment.".into()
            }
        }
    }
}
