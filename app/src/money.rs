//! How amounts are written and read, per currency: shared by payments (charges, refunds) and
//! reader configurations (tip amounts), so neither imports the other for it.

/// Currencies without a minor unit (Stripe's list of zero-decimal currencies).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Currencies offered for test charges; the account's own currency is preselected.
pub const CURRENCIES: &[&str] = &[
    "usd", "eur", "gbp", "cad", "aud", "nzd", "chf", "sek", "dkk", "nok", "pln", "czk", "sgd",
    "myr", "hkd", "jpy",
];

pub fn decimals(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str()) {
        0
    } else {
        2
    }
}

/// `1250` in `usd` → "12.50 USD"; `500` in `jpy` → "500 JPY".
pub fn format_amount(minor: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    match decimals(currency) {
        0 => format!("{minor} {code}"),
        _ => {
            let sign = if minor < 0 { "-" } else { "" };
            let abs = minor.unsigned_abs();
            format!("{sign}{}.{:02} {code}", abs / 100, abs % 100)
        }
    }
}

/// "12.5" in `usd` → 1250. Refuses more decimals than the currency has, signs and nonsense.
pub fn parse_amount(text: &str, currency: &str) -> Result<i64, String> {
    let text = text.trim().replace(',', "");
    let places = decimals(currency);
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text.as_str(), ""),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) {
        return Err("Enter an amount such as 12.50.".into());
    }
    if fraction.len() > places as usize {
        return Err(if places == 0 {
            format!(
                "{} has no decimals: enter a whole amount.",
                currency.to_uppercase()
            )
        } else {
            "Use at most two decimals, e.g. 12.50.".into()
        });
    }
    let whole: i64 = whole
        .parse()
        .map_err(|_| "That amount is too large.".to_string())?;
    let mut fraction = fraction.to_string();
    while fraction.len() < places as usize {
        fraction.push('0');
    }
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse()
            .map_err(|_| "Enter an amount such as 12.50.".to_string())?
    };
    let minor = whole
        .checked_mul(10i64.pow(places))
        .and_then(|w| w.checked_add(fraction))
        .filter(|m| *m <= 99_999_999)
        .ok_or_else(|| "That amount is too large for a test charge.".to_string())?;
    if minor == 0 {
        return Err("Enter an amount above zero.".into());
    }
    Ok(minor)
}
