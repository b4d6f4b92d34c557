//! Reading the configuration form: every field checked and reported on itself, then the
//! parameters Stripe takes.

use crate::configurations::types::ConfigurationForm;
use crate::error::{AppError, AppResult};
use crate::money::{parse_amount, CURRENCIES};
use fleet_stripe::params::{
    ConfigurationParams, CurrencyTippingParams, RebootWindowParams, Setting,
};
use std::collections::BTreeMap;

/// Stripe's limit on each list of tip suggestions.
const MAX_SUGGESTIONS: usize = 3;

/// What the form holds, ready for Stripe: a create sends only what is set, an update also
/// removes what was emptied.
pub struct Cleaned {
    pub name: Option<String>,
    pub tipping: BTreeMap<String, CurrencyTippingParams>,
    pub reboot_window: Option<RebootWindowParams>,
}

impl Cleaned {
    pub fn create_params(&self) -> ConfigurationParams {
        ConfigurationParams {
            name: self.name.clone(),
            tipping: (!self.tipping.is_empty()).then(|| Setting::Set(self.tipping.clone())),
            reboot_window: self.reboot_window.map(Setting::Set),
            ..ConfigurationParams::default()
        }
    }

    /// Splash screens are left as they are: they change through their own upload form.
    pub fn update_params(&self) -> ConfigurationParams {
        ConfigurationParams {
            name: self.name.clone(),
            tipping: Some(if self.tipping.is_empty() {
                Setting::Unset
            } else {
                Setting::Set(self.tipping.clone())
            }),
            reboot_window: Some(match self.reboot_window {
                Some(w) => Setting::Set(w),
                None => Setting::Unset,
            }),
            ..ConfigurationParams::default()
        }
    }
}

/// Reads the form; `name_required` is false for the account default, which Stripe leaves
/// unnamed.
pub fn clean(form: &ConfigurationForm, name_required: bool) -> AppResult<Cleaned> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let name = form.name.trim().to_string();
    if name.chars().count() > 100 {
        errors.push(("name".into(), "Keep the name under 100 characters.".into()));
    } else if name.is_empty() && name_required {
        errors.push((
            "name".into(),
            "Give the configuration a name, e.g. “Cafés with tips”.".into(),
        ));
    }
    let mut tipping = BTreeMap::new();
    for (slot, (currency, percentages, fixed, threshold)) in
        form.tipping_rows().into_iter().enumerate()
    {
        let n = slot + 1;
        let currency = currency.trim().to_ascii_lowercase();
        let rest_empty = [percentages, fixed, threshold]
            .iter()
            .all(|s| s.trim().is_empty());
        if currency.is_empty() {
            if !rest_empty {
                errors.push((
                    format!("currency_{n}"),
                    "Choose the currency these tips are for.".into(),
                ));
            }
            continue;
        }
        if !CURRENCIES.contains(&currency.as_str()) {
            errors.push((
                format!("currency_{n}"),
                "Choose one of the listed currencies.".into(),
            ));
            continue;
        }
        if tipping.contains_key(&currency) {
            errors.push((
                format!("currency_{n}"),
                format!(
                    "{} is already set above; each currency once.",
                    currency.to_uppercase()
                ),
            ));
            continue;
        }
        let mut row = CurrencyTippingParams::default();
        match read_percentages(percentages) {
            Ok(list) => row.percentages = (!list.is_empty()).then_some(list),
            Err(m) => errors.push((format!("percentages_{n}"), m)),
        }
        match read_amounts(fixed, &currency) {
            Ok(list) => row.fixed_amounts = (!list.is_empty()).then_some(list),
            Err(m) => errors.push((format!("fixed_amounts_{n}"), m)),
        }
        match threshold.trim() {
            "" => {}
            text => match parse_amount(text, &currency) {
                Ok(minor) => row.smart_tip_threshold = Some(minor),
                Err(m) => errors.push((format!("threshold_{n}"), m)),
            },
        }
        if row.percentages.is_none()
            && row.fixed_amounts.is_none()
            && !errors.iter().any(|(f, _)| f.ends_with(&format!("_{n}")))
        {
            errors.push((
                format!("percentages_{n}"),
                format!(
                    "Suggest percentages or fixed amounts for {}, or clear its currency.",
                    currency.to_uppercase()
                ),
            ));
            continue;
        }
        tipping.insert(currency, row);
    }
    let reboot_window = match (form.reboot_start.trim(), form.reboot_end.trim()) {
        ("", "") => None,
        (start, end) => {
            let hour = |text: &str, field: &str, errors: &mut Vec<(String, String)>| match text
                .parse::<u8>()
            {
                Ok(h) if h <= 23 => Some(h),
                _ => {
                    errors.push((
                        field.into(),
                        "Choose an hour from 0 to 23 for both the start and the end.".into(),
                    ));
                    None
                }
            };
            let start = hour(start, "reboot_start", &mut errors);
            let end = hour(end, "reboot_end", &mut errors);
            match (start, end) {
                (Some(start_hour), Some(end_hour)) if start_hour == end_hour => {
                    errors.push((
                        "reboot_end".into(),
                        "The window must end at a different hour than it starts.".into(),
                    ));
                    None
                }
                (Some(start_hour), Some(end_hour)) => Some(RebootWindowParams {
                    start_hour,
                    end_hour,
                }),
                _ => None,
            }
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Fields(errors));
    }
    Ok(Cleaned {
        name: (!name.is_empty()).then_some(name),
        tipping,
        reboot_window,
    })
}

/// "15, 18, 20" or "15% 18%" → [15, 18, 20].
fn read_percentages(text: &str) -> Result<Vec<i64>, String> {
    let items = split(text);
    if items.len() > MAX_SUGGESTIONS {
        return Err("Suggest at most three percentages.".into());
    }
    items
        .into_iter()
        .map(|item| match item.trim_end_matches('%').parse::<i64>() {
            Ok(p) if (0..=100).contains(&p) => Ok(p),
            _ => Err(format!(
                "“{}” is not a whole percentage from 0 to 100.",
                crate::error::quote(item)
            )),
        })
        .collect()
}

/// "1, 2.50, 5" in `currency` → minor units.
fn read_amounts(text: &str, currency: &str) -> Result<Vec<i64>, String> {
    let items = split(text);
    if items.len() > MAX_SUGGESTIONS {
        return Err("Suggest at most three fixed amounts.".into());
    }
    items
        .into_iter()
        .map(|item| parse_amount(item, currency))
        .collect()
}

fn split(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ConfigurationForm {
        ConfigurationForm {
            name: "Cafés".into(),
            currency_1: "USD".into(),
            percentages_1: "15%, 18, 20".into(),
            fixed_amounts_1: "1 2.50".into(),
            threshold_1: "10".into(),
            reboot_start: "1".into(),
            reboot_end: "4".into(),
            ..ConfigurationForm::default()
        }
    }

    #[test]
    fn a_filled_form_becomes_stripes_parameters() {
        let cleaned = clean(&form(), true).expect("valid");
        let usd = &cleaned.tipping["usd"];
        assert_eq!(usd.percentages, Some(vec![15, 18, 20]));
        assert_eq!(usd.fixed_amounts, Some(vec![100, 250]));
        assert_eq!(usd.smart_tip_threshold, Some(1000));
        assert_eq!(
            cleaned.reboot_window,
            Some(RebootWindowParams {
                start_hour: 1,
                end_hour: 4
            })
        );
    }

    #[test]
    fn each_mistake_is_reported_on_its_field() {
        let bad = ConfigurationForm {
            name: String::new(),
            percentages_1: "15, 200".into(),
            currency_2: "eur".into(),
            fixed_amounts_2: "1,2,3,4".into(),
            currency_3: "xxx".into(),
            reboot_start: "25".into(),
            ..form()
        };
        let Err(AppError::Fields(errors)) = clean(&bad, true) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "percentages_1",
                "fixed_amounts_2",
                "currency_3",
                "reboot_start"
            ]
        );
    }

    #[test]
    fn a_duplicate_currency_or_an_empty_row_is_refused() {
        let dup = ConfigurationForm {
            currency_2: "usd".into(),
            percentages_2: "10".into(),
            ..form()
        };
        assert!(clean(&dup, true).is_err());
        let empty = ConfigurationForm {
            percentages_1: String::new(),
            fixed_amounts_1: String::new(),
            threshold_1: String::new(),
            ..form()
        };
        assert!(clean(&empty, true).is_err());
    }
}
