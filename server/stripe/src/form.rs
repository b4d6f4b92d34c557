//! Stripe's request bodies: `application/x-www-form-urlencoded` with brackets for nesting
//! (`address[city]=…`, `metadata[k]=v`, `payment_method_types[0]=card_present`), which the
//! `serde_qs` crate writes from ordinary structs.

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("could not encode the request: {0}")]
pub struct EncodeError(String);

pub fn encode<T: Serialize>(params: &T) -> Result<String, EncodeError> {
    serde_qs::to_string(params).map_err(|e| EncodeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::*;
    use std::collections::BTreeMap;

    fn decoded(s: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(s.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn nested_objects_use_brackets() {
        let p = CreateLocation {
            display_name: "Store 7".into(),
            address: AddressParams {
                line1: "1 Main St".into(),
                city: Some("San Francisco".into()),
                state: Some("CA".into()),
                postal_code: Some("94102".into()),
                country: "US".into(),
                line2: None,
            },
            metadata: Some(BTreeMap::from([("store".to_string(), "7".to_string())])),
        };
        let pairs = decoded(&encode(&p).expect("encode"));
        assert!(pairs.contains(&("display_name".into(), "Store 7".into())));
        assert!(pairs.contains(&("address[line1]".into(), "1 Main St".into())));
        assert!(pairs.contains(&("address[city]".into(), "San Francisco".into())));
        assert!(pairs.contains(&("metadata[store]".into(), "7".into())));
        assert!(
            !pairs.iter().any(|(k, _)| k == "address[line2]"),
            "None is omitted"
        );
    }

    #[test]
    fn arrays_are_indexed_and_deep_nesting_works() {
        let p = CreatePaymentIntent {
            amount: 1099,
            currency: "usd".into(),
            payment_method_types: vec!["card_present".into()],
            capture_method: Some("manual".into()),
            description: None,
            metadata: None,
            expand: vec!["latest_charge".into()],
        };
        let pairs = decoded(&encode(&p).expect("encode"));
        assert!(pairs.contains(&("payment_method_types[0]".into(), "card_present".into())));
        assert!(pairs.contains(&("expand[0]".into(), "latest_charge".into())));
        assert!(pairs.contains(&("amount".into(), "1099".into())));
        let p = ProcessPaymentIntent {
            payment_intent: "pi_1".into(),
            process_config: Some(ProcessConfig {
                skip_tipping: Some(false),
                tipping: Some(Tipping {
                    amount_eligible: Some(500),
                }),
                enable_customer_cancellation: None,
            }),
        };
        let pairs = decoded(&encode(&p).expect("encode"));
        assert!(pairs.contains(&(
            "process_config[tipping][amount_eligible]".into(),
            "500".into()
        )));
        assert!(pairs.contains(&("process_config[skip_tipping]".into(), "false".into())));
    }

    #[test]
    fn configuration_settings_encode_and_unset() {
        let p = ConfigurationParams {
            tipping: Some(Setting::Set(BTreeMap::from([(
                "usd".to_string(),
                CurrencyTippingParams {
                    percentages: Some(vec![15, 20]),
                    smart_tip_threshold: Some(1000),
                    fixed_amounts: None,
                },
            )]))),
            bbpos_wisepos_e: Some(Setting::Unset),
            reboot_window: Some(Setting::Set(RebootWindowParams {
                start_hour: 1,
                end_hour: 3,
            })),
            ..Default::default()
        };
        let pairs = decoded(&encode(&p).expect("encode"));
        assert!(pairs.contains(&("tipping[usd][percentages][0]".into(), "15".into())));
        assert!(pairs.contains(&("tipping[usd][percentages][1]".into(), "20".into())));
        assert!(pairs.contains(&("tipping[usd][smart_tip_threshold]".into(), "1000".into())));
        assert!(pairs.contains(&("bbpos_wisepos_e".into(), "".into())));
        assert!(pairs.contains(&("reboot_window[start_hour]".into(), "1".into())));
        assert!(!pairs
            .iter()
            .any(|(k, _)| k.contains("fixed_amounts") || k == "name"));
    }
}
