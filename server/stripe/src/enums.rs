//! Stripe's enums. Stripe adds values over time, so every enum keeps an unknown value as text
//! instead of failing to decode the whole object.

/// Declares a string enum with an `Other(String)` catch-all and serde both ways.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know yet.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s.as_str()))
            }
        }
    };
}

string_enum!(
    /// `terminal.reader.status`.
    ReaderStatus { Online => "online", Offline => "offline" }
);

string_enum!(
    /// `terminal.reader.device_type`.
    DeviceType {
        BbposWiseposE => "bbpos_wisepos_e",
        StripeS700 => "stripe_s700",
        SimulatedWiseposE => "simulated_wisepos_e",
        SimulatedStripeS700 => "simulated_stripe_s700",
        BbposChipper2x => "bbpos_chipper2x",
        BbposWisepad3 => "bbpos_wisepad3",
        StripeM2 => "stripe_m2",
        VerifoneP400 => "verifone_P400",
    }
);

string_enum!(
    /// `terminal.reader.action.type`.
    ActionType {
        ProcessPaymentIntent => "process_payment_intent",
        ProcessSetupIntent => "process_setup_intent",
        SetReaderDisplay => "set_reader_display",
        RefundPayment => "refund_payment",
        CollectPaymentMethod => "collect_payment_method",
        ConfirmPaymentIntent => "confirm_payment_intent",
        CollectInputs => "collect_inputs",
    }
);

string_enum!(
    /// `collect_inputs` input types.
    InputType {
        Email => "email",
        Numeric => "numeric",
        Phone => "phone",
        Selection => "selection",
        Signature => "signature",
        Text => "text",
    }
);

string_enum!(
    /// `terminal.reader.action.status`.
    ActionStatus { InProgress => "in_progress", Succeeded => "succeeded", Failed => "failed" }
);

string_enum!(
    /// `payment_intent.status`.
    PaymentIntentStatus {
        RequiresPaymentMethod => "requires_payment_method",
        RequiresConfirmation => "requires_confirmation",
        RequiresAction => "requires_action",
        Processing => "processing",
        RequiresCapture => "requires_capture",
        Canceled => "canceled",
        Succeeded => "succeeded",
    }
);

string_enum!(
    /// `payment_intent.capture_method`.
    CaptureMethod { Automatic => "automatic", AutomaticAsync => "automatic_async", Manual => "manual" }
);

string_enum!(
    /// `charge.status` and `refund.status`.
    ChargeStatus { Succeeded => "succeeded", Pending => "pending", Failed => "failed", Canceled => "canceled", RequiresAction => "requires_action" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept() {
        let s: ReaderStatus = serde_json::from_str("\"napping\"").expect("decode");
        assert_eq!(s, ReaderStatus::Other("napping".into()));
        assert_eq!(serde_json::to_string(&s).expect("encode"), "\"napping\"");
        let known: DeviceType = serde_json::from_str("\"simulated_wisepos_e\"").expect("decode");
        assert_eq!(known, DeviceType::SimulatedWiseposE);
    }
}
