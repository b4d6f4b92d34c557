//! What the customer sees on a reader outside the card screen, for the point-of-sale API: a cart
//! shown before paying (Stripe's `set_reader_display`), clearing it, and questions asked on the
//! screen (`collect_inputs`) with their answers.
//!
//! The answers are read back from Stripe when asked for and never stored here: an email, a
//! phone number or a signature is the till's to keep, not the dashboard's.

use super::reader_views::find;
use super::readers_service::{access_for, store};
use crate::error::{AppError, AppResult};
use crate::fleet::types::ReaderView;
use crate::ssr::caller::Caller;
use crate::ssr::stripe_access::{from_stripe, step_key, Asked};
use fleet_stripe::enums::{ActionStatus, ActionType};
use fleet_stripe::params::{CartParams, CollectInputs, SucceedInputCollection};
use fleet_stripe::{Reader, ReaderAction, StripeError};

/// The most line items one cart shows; a reader's screen scrolls, but a till sending more is
/// almost certainly sending something else.
pub const MAX_LINE_ITEMS: usize = 100;
/// Stripe's limit on a line item's description.
const MAX_DESCRIPTION: usize = 5000;
/// Stripe's largest amount in the smallest unit.
const MAX_AMOUNT: i64 = 99_999_999;
const MAX_QUANTITY: i64 = 10_000;

/// One line of a cart, as the till sends it.
#[derive(Debug, Clone)]
pub struct CartLine {
    pub description: String,
    /// Per item, in the currency's smallest unit.
    pub amount: i64,
    pub quantity: i64,
}

/// A cart to show: its lines, tax and total, all in `currency`'s smallest unit.
#[derive(Debug, Clone)]
pub struct Cart {
    pub currency: String,
    pub lines: Vec<CartLine>,
    pub tax: i64,
    pub total: i64,
}

impl Cart {
    /// The total the lines and tax add up to, or `None` if it overflows.
    fn sum(&self) -> Option<i64> {
        self.lines.iter().try_fold(self.tax, |sum, line| {
            line.amount
                .checked_mul(line.quantity)
                .and_then(|l| sum.checked_add(l))
        })
    }

    /// Checks the cart as a customer would read it: a total that is not what the lines add up
    /// to would show the customer one figure and charge another, so it is refused.
    pub fn check(&self) -> AppResult<()> {
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(AppError::invalid(
                "currency",
                "currency is a three-letter ISO code in lower case, such as usd.",
            ));
        }
        if self.lines.is_empty() || self.lines.len() > MAX_LINE_ITEMS {
            return Err(AppError::invalid(
                "line_items",
                format!("line_items lists from 1 to {MAX_LINE_ITEMS} items."),
            ));
        }
        for (i, line) in self.lines.iter().enumerate() {
            let n = i + 1;
            let description = line.description.trim();
            if description.is_empty() || description.chars().count() > MAX_DESCRIPTION {
                return Err(AppError::invalid(
                    "line_items",
                    format!("Line item {n} needs a description of at most {MAX_DESCRIPTION} characters."),
                ));
            }
            if description.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    "line_items",
                    format!("Line item {n}'s description has control characters."),
                ));
            }
            if !(-MAX_AMOUNT..=MAX_AMOUNT).contains(&line.amount) {
                return Err(AppError::invalid(
                    "line_items",
                    format!("Line item {n}'s amount must be from -{MAX_AMOUNT} to {MAX_AMOUNT} (a discount is negative)."),
                ));
            }
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(AppError::invalid(
                    "line_items",
                    format!("Line item {n}'s quantity must be from 1 to {MAX_QUANTITY}."),
                ));
            }
        }
        if !(0..=MAX_AMOUNT).contains(&self.tax) {
            return Err(AppError::invalid(
                "tax",
                format!("tax must be from 0 to {MAX_AMOUNT}."),
            ));
        }
        match self.sum() {
            Some(sum) if sum == self.total => Ok(()),
            Some(sum) => Err(AppError::invalid(
                "total",
                format!(
                    "The line items and tax add up to {sum}, not {}: the customer would see one total and pay another.",
                    self.total
                ),
            )),
            None => Err(AppError::invalid("total", "The cart's sum is too large.")),
        }
    }

    fn params(&self) -> CartParams {
        CartParams {
            currency: self.currency.clone(),
            line_items: self
                .lines
                .iter()
                .map(|l| fleet_stripe::params::LineItemParams {
                    description: l.description.trim().to_string(),
                    amount: l.amount,
                    quantity: l.quantity,
                })
                .collect(),
            tax: (self.tax != 0).then_some(self.tax),
            total: self.total,
        }
    }
}

/// Stripe's refusal of a reader command: on the field it names when it names one (a question
/// it cannot ask), else a conflict with Stripe's code (offline, busy).
fn refused(err: StripeError) -> AppError {
    let param = err.api().and_then(|a| a.param.clone());
    match param {
        Some(param) => from_stripe(err, Asked::Field(&param)),
        None => from_stripe(err, Asked::Action),
    }
}

/// Shows `cart` on the reader. `op` makes a retry of the same request one display.
pub async fn show_cart(caller: &Caller, id: &str, cart: &Cart, op: &str) -> AppResult<ReaderView> {
    cart.check()?;
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    let updated = access
        .client
        .set_reader_display(
            &access.creds,
            id,
            &fleet_stripe::params::SetReaderDisplay::cart(cart.params()),
            &step_key(op, "display"),
        )
        .await
        .map_err(refused)?;
    let detail = format!(
        "{} line item{}, total {}",
        cart.lines.len(),
        if cart.lines.len() == 1 { "" } else { "s" },
        crate::money::format_amount(cart.total, &cart.currency),
    );
    store(caller, &access, &updated, "reader.display_shown", detail).await?;
    find(caller, id).await
}

/// Clears a cart from the reader's screen. Only a display is cleared: a payment or a question
/// in progress is refused rather than cancelled by a call that asked for something smaller.
pub async fn clear_display(caller: &Caller, id: &str, op: &str) -> AppResult<ReaderView> {
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    let now = access
        .client
        .retrieve_reader(&access.creds, id)
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    match now.action.as_ref() {
        Some(action) if action.kind == ActionType::SetReaderDisplay => {
            let updated = access
                .client
                .cancel_action(&access.creds, id, &step_key(op, "clear_display"))
                .await
                .map_err(|e| from_stripe(e, Asked::Action))?;
            store(
                caller,
                &access,
                &updated,
                "reader.display_cleared",
                String::new(),
            )
            .await?;
        }
        Some(action) if action.status == ActionStatus::InProgress => {
            return Err(AppError::Refused {
                code: "reader_busy".into(),
                message: format!(
                    "The reader is busy with {}; clearing the display would stop it. Cancel the action instead.",
                    action_words(&action.kind)
                ),
            });
        }
        // Nothing on screen but the idle screen: already clear.
        _ => {}
    }
    find(caller, id).await
}

fn action_words(kind: &ActionType) -> &str {
    match kind {
        ActionType::ProcessPaymentIntent => "a payment",
        ActionType::CollectInputs => "questions for the customer",
        ActionType::RefundPayment => "a refund",
        ActionType::ProcessSetupIntent => "saving a card",
        other => other.as_str(),
    }
}

/// The most inputs Stripe asks at once.
pub const MAX_INPUTS: usize = 5;

/// Asks the customer `inputs` on the reader's screen; returns the reader as Stripe left it.
pub async fn collect_inputs(
    caller: &Caller,
    id: &str,
    params: &CollectInputs,
    op: &str,
) -> AppResult<Reader> {
    if params.inputs.is_empty() || params.inputs.len() > MAX_INPUTS {
        return Err(AppError::invalid(
            "inputs",
            format!("inputs lists from 1 to {MAX_INPUTS} questions."),
        ));
    }
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    let updated = access
        .client
        .collect_inputs(&access.creds, id, params, &step_key(op, "collect_inputs"))
        .await
        .map_err(refused)?;
    let kinds: Vec<&str> = params.inputs.iter().map(|i| i.kind.as_str()).collect();
    let detail = format!("asked: {}", kinds.join(", "));
    store(caller, &access, &updated, "reader.inputs_requested", detail).await?;
    Ok(updated)
}

/// The reader's last `collect_inputs` action with the customer's answers, read from Stripe, or
/// `None` when its last action was something else.
pub async fn input_collection(caller: &Caller, id: &str) -> AppResult<Option<ReaderAction>> {
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    let now = access
        .client
        .retrieve_reader(&access.creds, id)
        .await
        .map_err(|e| from_stripe(e, Asked::Action))?;
    Ok(now.action.filter(|a| a.kind == ActionType::CollectInputs))
}

/// Whether the reader, as mirrored here, is still waiting for the customer's answers.
pub fn awaiting_inputs(reader: &ReaderView) -> bool {
    reader
        .action
        .as_ref()
        .is_some_and(|a| a.kind == "collect_inputs" && a.in_progress())
}

/// How a simulated customer answers (test helpers, simulated readers only).
#[derive(Debug, Clone, Copy)]
pub enum SimulatedAnswer {
    /// Answers every input; `skip_optional` leaves the optional ones unanswered.
    Answer { skip_optional: bool },
    /// Walks away: the collection fails with a timeout.
    TimeOut,
}

pub async fn simulate_answer(
    caller: &Caller,
    id: &str,
    answer: SimulatedAnswer,
    op: &str,
) -> AppResult<ReaderView> {
    let reader = find(caller, id).await?;
    let access = access_for(caller, &reader).await?;
    let updated = match answer {
        SimulatedAnswer::Answer { skip_optional } => {
            access
                .client
                .succeed_input_collection(
                    &access.creds,
                    id,
                    &SucceedInputCollection {
                        skip_non_required_inputs: skip_optional.then(|| "all".to_string()),
                    },
                    &step_key(op, "succeed_input_collection"),
                )
                .await
        }
        SimulatedAnswer::TimeOut => {
            access
                .client
                .timeout_input_collection(
                    &access.creds,
                    id,
                    &step_key(op, "timeout_input_collection"),
                )
                .await
        }
    }
    .map_err(|e| from_stripe(e, Asked::Action))?;
    let what = match answer {
        SimulatedAnswer::Answer { .. } => "test: inputs answered",
        SimulatedAnswer::TimeOut => "test: inputs timed out",
    };
    store(
        caller,
        &access,
        &updated,
        "reader.inputs_simulated",
        what.into(),
    )
    .await?;
    find(caller, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart(lines: &[(i64, i64)], tax: i64, total: i64) -> Cart {
        Cart {
            currency: "usd".into(),
            lines: lines
                .iter()
                .map(|(amount, quantity)| CartLine {
                    description: "Latte".into(),
                    amount: *amount,
                    quantity: *quantity,
                })
                .collect(),
            tax,
            total,
        }
    }

    #[test]
    fn a_cart_must_add_up() {
        assert!(cart(&[(450, 2), (-100, 1)], 64, 864).check().is_ok());
        let wrong = cart(&[(450, 2)], 64, 1000).check().unwrap_err();
        assert_eq!(wrong.field(), Some("total"));
        assert!(wrong.to_string().contains("964"), "{wrong}");
        assert!(cart(&[], 0, 0).check().is_err());
        assert!(cart(&[(450, 0)], 0, 0).check().is_err());
        assert!(
            cart(&[(MAX_AMOUNT, MAX_QUANTITY)], 0, MAX_AMOUNT * MAX_QUANTITY)
                .check()
                .is_ok()
        );
        let mut upper = cart(&[(1, 1)], 0, 1);
        upper.currency = "USD".into();
        assert_eq!(upper.check().unwrap_err().field(), Some("currency"));
    }
}
