//! Stripe Terminal location addresses: the countries a location can be in, which fields each of
//! them needs, and the checks that turn what a person typed into what Stripe will accept.
//!
//! Std only, so the same rules can run on the server and in the wasm form, and be tested alone.

/// What a location form submits, already trimmed by the caller or not (trim inside).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

/// A cleaned address: country upper-cased ISO-3166 alpha-2, state normalised (e.g. US/CA/AU
/// codes upper-case), postal code normalised (e.g. Canadian "k1a0b1" -> "K1A 0B1", GB upper-case
/// with one space before the inward code, US "12345-6789" kept), empty optional parts as None.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

/// Field name ("line1", "line2", "city", "state", "postal_code", "country") and a message a
/// person understands, e.g. "Enter the ZIP code, e.g. 94107." or "Choose a state: US addresses
/// need one (e.g. CA)."
pub type FieldErrors = Vec<(&'static str, String)>;

const MAX_LINE_CHARS: usize = 100;
const MAX_STATE_CHARS: usize = 60;
const MAX_POSTAL_CHARS: usize = 20;
/// Typed values are quoted back in messages; a pasted page of text would swamp the form.
const MAX_ECHO_CHARS: usize = 40;

/// Countries where Stripe Terminal smart readers can be used, as (code, English name), sorted by
/// name, for the form's <select>.
// Stripe will store a location anywhere, but a reader only takes payments at a location in its
// own account's country and only where Terminal is offered, so a location elsewhere could never
// be used; refusing it here beats a confusing failure at reader registration.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AU", "Australia"),
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("CA", "Canada"),
    ("CZ", "Czech Republic"),
    ("DK", "Denmark"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("HK", "Hong Kong"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("LU", "Luxembourg"),
    ("MY", "Malaysia"),
    ("NL", "Netherlands"),
    ("NZ", "New Zealand"),
    ("NO", "Norway"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("SG", "Singapore"),
    ("ES", "Spain"),
    ("SE", "Sweden"),
    ("CH", "Switzerland"),
    ("GB", "United Kingdom"),
    ("US", "United States"),
];

/// What the address form shows for a country: the labels of its state and postal-code fields,
/// e.g. "State" and "ZIP code" for US, "Province" and "Postal code" for CA, "County" and
/// "Eircode" for IE, "Prefecture" and "Postal code" for JP, and which fields are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRules {
    pub state_label: &'static str,
    pub state_required: bool,
    pub postal_label: &'static str,
    pub postal_required: bool,
    pub city_required: bool,
}

/// The form's [`FieldRules`] for a country (its code, any case).
pub fn field_rules(country: &str) -> FieldRules {
    match find_country(country).and_then(rules_for) {
        Some(rules) => FieldRules {
            state_label: rules.state_label,
            state_required: !matches!(rules.state, State::Optional),
            postal_label: rules.postal_label,
            postal_required: rules.postal_required,
            city_required: rules.city_required,
        },
        // `validate` enforces only line1 until a supported country is chosen, so the form must
        // not mark anything else as required either.
        None => FieldRules {
            state_label: "State or region",
            state_required: false,
            postal_label: "Postal code",
            postal_required: false,
            city_required: false,
        },
    }
}

/// Cleans a submitted location address, or says what is wrong with every field that needs
/// fixing (one message per field, so the form can show each next to its input).
///
/// # Errors
///
/// Every field that is missing, too long, holds hidden characters or does not fit the country's
/// format, in form order, with the country first.
pub fn validate(input: &AddressInput) -> Result<Address, FieldErrors> {
    let mut errors = FieldErrors::new();
    let country = find_country(&input.country);
    if country.is_none() {
        errors.push(("country", country_problem(&input.country)));
    }
    let country = country.and_then(|code| rules_for(code).map(|rules| (code, rules)));
    let city_required = country.is_some_and(|(_, rules)| rules.city_required);

    let line1 = clean(&input.line1, MAX_LINE_CHARS, "street address")
        .and_then(|value| needed(value, true, || "Enter the street address.".to_owned()));
    let line1 = take(&mut errors, "line1", line1);
    let line2 = clean(&input.line2, MAX_LINE_CHARS, "second address line");
    let line2 = take(&mut errors, "line2", line2);
    let city = clean(&input.city, MAX_LINE_CHARS, "city").and_then(|value| {
        needed(value, city_required, || {
            "Enter the city or town.".to_owned()
        })
    });
    let city = take(&mut errors, "city", city);
    let state = take(&mut errors, "state", state(&input.state, country.as_ref()));
    let postal_code = postal_code(&input.postal_code, country.as_ref());
    let postal_code = take(&mut errors, "postal_code", postal_code);

    match (line1, country) {
        (Some(line1), Some((country, _))) if errors.is_empty() => Ok(Address {
            line1,
            line2,
            city,
            state,
            postal_code,
            country: country.to_owned(),
        }),
        _ => Err(errors),
    }
}

/// What one country asks of an address.
#[derive(Debug, Clone, Copy)]
struct Rules {
    state_label: &'static str,
    state: State,
    postal_label: &'static str,
    /// The postal code's name mid-sentence: "ZIP code" keeps its capitals, "postcode" does not.
    postal_noun: &'static str,
    postal: Postal,
    postal_example: &'static str,
    postal_required: bool,
    city_required: bool,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Optional,
    /// Required, but free text: prefectures and Irish counties are written many ways (kanji,
    /// romaji, "Co. Cork"), and Stripe takes them as given.
    Named {
        missing: &'static str,
    },
    /// Required and one of a fixed set; Stripe expects the code, so full names are turned into it.
    Coded {
        list: &'static [(&'static str, &'static str)],
        missing: &'static str,
        what: &'static str,
        hint: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
enum Postal {
    /// No postal codes exist; whatever was typed is kept rather than argued about.
    Any,
    /// A fixed number of digits, written with `separator` at the given position.
    Digits {
        len: usize,
        separator: Option<(usize, char)>,
    },
    UsZip,
    Canada,
    Britain,
    Eircode,
    Netherlands,
    Spain,
}

const fn digits(len: usize) -> Postal {
    Postal::Digits {
        len,
        separator: None,
    }
}

const fn split_digits(len: usize, at: usize, separator: char) -> Postal {
    Postal::Digits {
        len,
        separator: Some((at, separator)),
    }
}

/// The common case: an optional region, and a required postal code and city.
const fn plain(state_label: &'static str, postal: Postal, postal_example: &'static str) -> Rules {
    Rules {
        state_label,
        state: State::Optional,
        postal_label: "Postal code",
        postal_noun: "postal code",
        postal,
        postal_example,
        postal_required: true,
        city_required: true,
    }
}

const fn postcode(
    state_label: &'static str,
    postal: Postal,
    postal_example: &'static str,
) -> Rules {
    Rules {
        postal_label: "Postcode",
        postal_noun: "postcode",
        ..plain(state_label, postal, postal_example)
    }
}

fn rules_for(country: &str) -> Option<Rules> {
    let rules = match country {
        "US" => Rules {
            state_label: "State",
            state: State::Coded {
                list: US_STATES,
                missing: "Choose a state: US addresses need one (e.g. CA).",
                what: "a US state or territory",
                hint: "Use its two-letter code, e.g. CA.",
            },
            postal_label: "ZIP code",
            postal_noun: "ZIP code",
            ..plain("State", Postal::UsZip, "94107")
        },
        "CA" => Rules {
            state: State::Coded {
                list: CA_PROVINCES,
                missing: "Choose a province: Canadian addresses need one (e.g. ON).",
                what: "a Canadian province or territory",
                hint: "Use its two-letter code, e.g. ON.",
            },
            ..plain("Province", Postal::Canada, "K1A 0B1")
        },
        "AU" => Rules {
            state: State::Coded {
                list: AU_STATES,
                missing: "Choose a state: Australian addresses need one (e.g. NSW).",
                what: "an Australian state or territory",
                hint: "Use its abbreviation, e.g. NSW.",
            },
            ..postcode("State", digits(4), "2000")
        },
        "JP" => Rules {
            state: State::Named {
                missing: "Enter the prefecture: Japanese addresses need one (e.g. Tokyo).",
            },
            ..plain("Prefecture", split_digits(7, 3, '-'), "100-0001")
        },
        // Eircodes only arrived in 2015 and many Irish addresses are still written without one;
        // Stripe accepts IE addresses that lack a postal code, so demanding one here would turn
        // away addresses Stripe takes. One that is given must still be well formed.
        "IE" => Rules {
            state: State::Named {
                missing: "Enter the county: Irish addresses need one (e.g. Dublin).",
            },
            postal_label: "Eircode",
            postal_noun: "Eircode",
            postal_required: false,
            ..plain("County", Postal::Eircode, "D02 X285")
        },
        // Hong Kong has no postal codes, and its addresses name a district and area rather than
        // a city (the whole territory is the city), so neither is asked for.
        "HK" => Rules {
            postal_required: false,
            city_required: false,
            ..plain("Area", Postal::Any, "")
        },
        // Singapore is a city-state: the city would always be "Singapore", and the 6-digit
        // postal code alone pins down the building.
        "SG" => Rules {
            city_required: false,
            ..plain("Region", digits(6), "018956")
        },
        "GB" => postcode("County", Postal::Britain, "SW1A 1AA"),
        "NZ" => postcode("Region", digits(4), "6011"),
        "MY" => postcode("State", digits(5), "50450"),
        "AT" => plain("State", digits(4), "1010"),
        "BE" => plain("Province", digits(4), "1000"),
        "CH" => plain("Canton", digits(4), "8001"),
        "CZ" => plain("Region", split_digits(5, 3, ' '), "110 00"),
        "DE" => plain("State", digits(5), "10115"),
        "DK" => plain("Region", digits(4), "1050"),
        "ES" => plain("Province", Postal::Spain, "28013"),
        "FI" => plain("Region", digits(5), "00100"),
        "FR" => plain("Region", digits(5), "75001"),
        "IT" => plain("Province", digits(5), "00184"),
        "LU" => plain("Canton", digits(4), "1009"),
        "NL" => plain("Province", Postal::Netherlands, "1011 AB"),
        "NO" => plain("County", digits(4), "0150"),
        "PL" => plain("Province", split_digits(5, 2, '-'), "00-950"),
        "PT" => plain("District", split_digits(7, 4, '-'), "1100-148"),
        "SE" => plain("County", split_digits(5, 3, ' '), "111 52"),
        _ => return None,
    };
    Some(rules)
}

// Territories are included because USPS and Stripe treat them as US addresses; military "states"
// (AA, AE, AP) are not, since a shop cannot sit at an APO address.
const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"),
    ("VI", "US Virgin Islands"),
];

const CA_PROVINCES: &[(&str, &str)] = &[
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    // French spelling, as most people in the province write it.
    ("QC", "Québec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
];

const AU_STATES: &[(&str, &str)] = &[
    ("ACT", "Australian Capital Territory"),
    ("NSW", "New South Wales"),
    ("NT", "Northern Territory"),
    ("QLD", "Queensland"),
    ("SA", "South Australia"),
    ("TAS", "Tasmania"),
    ("VIC", "Victoria"),
    ("WA", "Western Australia"),
];

/// The supported country a typed code or English name stands for.
fn find_country(raw: &str) -> Option<&'static str> {
    let value = collapse_whitespace(raw);
    // Neither is ISO 3166, but both are what people type for these two countries.
    let value = if value.eq_ignore_ascii_case("UK") {
        "GB"
    } else if value.eq_ignore_ascii_case("USA") {
        "US"
    } else {
        &value
    };
    COUNTRIES
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(value) || name.eq_ignore_ascii_case(value))
        .map(|&(code, _)| code)
}

fn country_problem(raw: &str) -> String {
    let value = raw.trim();
    if value.chars().any(is_hidden) {
        hidden_message("country")
    } else if value.is_empty() {
        "Choose a country.".to_owned()
    } else {
        format!(
            "Stripe Terminal readers can't be used in {}. Choose one of the listed countries.",
            quote(value)
        )
    }
}

/// Trims, rejects hidden characters and overlong values, and squeezes runs of spaces, so what
/// reaches Stripe (and is shown on receipts) is what the person saw; `None` when left empty.
fn clean(raw: &str, max: usize, noun: &str) -> Result<Option<String>, String> {
    let trimmed = raw.trim();
    if trimmed.chars().any(is_hidden) {
        return Err(hidden_message(noun));
    }
    let value = collapse_whitespace(trimmed);
    if value.chars().count() > max {
        return Err(format!("Use at most {max} characters for the {noun}."));
    }
    Ok((!value.is_empty()).then_some(value))
}

fn needed(
    value: Option<String>,
    required: bool,
    missing: impl FnOnce() -> String,
) -> Result<Option<String>, String> {
    match value {
        None if required => Err(missing()),
        value => Ok(value),
    }
}

/// Records a field's problem, if any, and hands back its cleaned value.
fn take(
    errors: &mut FieldErrors,
    field: &'static str,
    result: Result<Option<String>, String>,
) -> Option<String> {
    result.unwrap_or_else(|message| {
        errors.push((field, message));
        None
    })
}

fn state(raw: &str, country: Option<&(&str, Rules)>) -> Result<Option<String>, String> {
    let Some((code, rules)) = country else {
        return clean(raw, MAX_STATE_CHARS, "state or region");
    };
    let value = clean(raw, MAX_STATE_CHARS, &rules.state_label.to_lowercase())?;
    match (rules.state, value) {
        (State::Optional, value) => Ok(value),
        (State::Named { missing } | State::Coded { missing, .. }, None) => Err(missing.to_owned()),
        (State::Named { .. }, value) => Ok(value),
        (
            State::Coded {
                list, what, hint, ..
            },
            Some(value),
        ) => match state_code(&value, code, list) {
            Some(found) => Ok(Some(found.to_owned())),
            None => Err(format!("{} is not {what}. {hint}", quote(&value))),
        },
    }
}

/// Accepts "CA", "ca", "C.A.", "US-CA" (ISO 3166-2, which Stripe documents) or "California".
fn state_code(
    value: &str,
    country: &str,
    list: &'static [(&'static str, &'static str)],
) -> Option<&'static str> {
    let bare = match (value.get(..country.len()), value.get(country.len()..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case(country) => {
            rest.strip_prefix('-').unwrap_or(value)
        }
        _ => value,
    };
    let dotless: String = bare.chars().filter(|&c| c != '.').collect();
    let lower = bare.to_lowercase();
    list.iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(&dotless) || name.to_lowercase() == lower)
        .map(|&(code, _)| code)
}

fn postal_code(raw: &str, country: Option<&(&str, Rules)>) -> Result<Option<String>, String> {
    let Some((code, rules)) = country else {
        return clean(raw, MAX_POSTAL_CHARS, "postal code");
    };
    let (noun, example) = (rules.postal_noun, rules.postal_example);
    let Some(value) = clean(raw, MAX_POSTAL_CHARS, noun)? else {
        return needed(None, rules.postal_required, || {
            format!("Enter the {noun}, e.g. {example}.")
        });
    };
    match normalise_postal(&value, code, rules.postal) {
        Some(normalised) => Ok(Some(normalised)),
        None => Err(format!(
            "{} is not a valid {noun}. {}",
            quote(&value),
            postal_hint(rules.postal, example)
        )),
    }
}

fn postal_hint(format: Postal, example: &str) -> String {
    match format {
        Postal::Any => String::new(),
        Postal::Digits { len, .. } => format!("Use {len} digits, e.g. {example}."),
        Postal::UsZip => format!("Use 5 digits, e.g. {example}, or ZIP+4, e.g. {example}-1234."),
        Postal::Canada => format!("Use the pattern A1A 1A1, e.g. {example}."),
        Postal::Britain => format!("Use the full postcode, e.g. {example}."),
        Postal::Eircode => format!("Use all 7 characters, e.g. {example}."),
        Postal::Netherlands => format!("Use 4 digits then 2 letters, e.g. {example}."),
        Postal::Spain => format!("Use 5 digits starting 01 to 52, e.g. {example}."),
    }
}

/// The postal code as the country's post writes it, or `None` if it cannot be one.
fn normalise_postal(value: &str, country: &str, format: Postal) -> Option<String> {
    let compact = compact_postal(value);
    // Every checked format is ASCII letters and digits; rejecting anything else up front also
    // means byte positions are character positions from here on.
    if !matches!(format, Postal::Any) && !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match format {
        Postal::Any => Some(value.to_owned()),
        Postal::Digits { len, separator } => {
            digit_code(strip_country_prefix(&compact, country), len, separator)
        }
        Postal::UsZip => {
            digit_code(&compact, 5, None).or_else(|| digit_code(&compact, 9, Some((5, '-'))))
        }
        Postal::Canada => canada(&compact),
        Postal::Britain => britain(&compact),
        Postal::Eircode => eircode(&compact),
        Postal::Netherlands => netherlands(strip_country_prefix(&compact, country)),
        Postal::Spain => spain(strip_country_prefix(&compact, country)),
    }
}

/// Upper-cases and drops spaces and dashes, so "k1a-0b1" and "K1A 0B1" read alike. Full-width
/// forms are folded to ASCII and the postal mark dropped because Japanese keyboards produce
/// "〒１００－０００１" as readily as "100-0001".
fn compact_postal(value: &str) -> String {
    value
        .chars()
        .map(fold_width)
        .filter(|&c| !is_postal_separator(c))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn is_postal_separator(c: char) -> bool {
    // U+30FC (the katakana long vowel mark) looks like a dash and is often typed as one in
    // Japanese postal codes; U+3012 is the postal mark 〒.
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{3012}'
        )
}

/// Drops a leading country code ("DK-2100", "L-1009"), which European businesses often write in
/// front of a numeric postal code but which is not part of it.
fn strip_country_prefix<'a>(compact: &'a str, country: &str) -> &'a str {
    let rest = compact
        .strip_prefix(country)
        .or_else(|| match country {
            "LU" => compact.strip_prefix('L'),
            _ => None,
        })
        .unwrap_or(compact);
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        rest
    } else {
        compact
    }
}

fn digit_code(code: &str, len: usize, separator: Option<(usize, char)>) -> Option<String> {
    if code.len() != len || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match separator {
        Some((at, separator)) => split_at(code, at, separator),
        None => Some(code.to_owned()),
    }
}

fn split_at(code: &str, at: usize, separator: char) -> Option<String> {
    Some(format!("{}{separator}{}", code.get(..at)?, code.get(at..)?))
}

/// 'A' for a letter and '9' for a digit, so a pattern such as "A9A9A9" can be compared whole.
fn shape(code: &str) -> String {
    code.bytes()
        .map(|b| if b.is_ascii_digit() { '9' } else { 'A' })
        .collect()
}

fn canada(code: &str) -> Option<String> {
    // Canada Post never uses D, F, I, O, Q or U (too easily misread), nor W or Z first.
    let letters_ok = !code.bytes().any(|b| b"DFIOQU".contains(&b));
    let first_ok = !code.starts_with(['W', 'Z']);
    if shape(code) == "A9A9A9" && letters_ok && first_ok {
        split_at(code, 3, ' ')
    } else {
        None
    }
}

fn britain(code: &str) -> Option<String> {
    // Girobank's code predates the scheme and is still delivered to.
    if code == "GIR0AA" {
        return Some("GIR 0AA".to_owned());
    }
    let at = code.len().checked_sub(3)?;
    let (outward, inward) = (code.get(..at)?, code.get(at..)?);
    // Royal Mail leaves C, I, K, M, O and V out of inward codes because they look like others.
    let inward_ok = shape(inward) == "9AA" && !inward.bytes().any(|b| b"CIKMOV".contains(&b));
    let outward_ok = matches!(
        shape(outward).as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    );
    if inward_ok && outward_ok {
        split_at(code, at, ' ')
    } else {
        None
    }
}

fn eircode(code: &str) -> Option<String> {
    // The only letters Eircodes use, chosen so none can be misread as another or as a digit.
    const LETTERS: &[u8] = b"ACDEFHKNPRTVWXY";
    if code.len() != 7 {
        return None;
    }
    let (routing, unique) = (code.get(..3)?, code.get(3..)?);
    // D6W (Dublin 6W) is the one routing key with a letter at the end.
    let routing_ok = routing == "D6W"
        || matches!(routing.as_bytes(), [l, d1, d2] if LETTERS.contains(l) && d1.is_ascii_digit() && d2.is_ascii_digit());
    let unique_ok = unique
        .bytes()
        .all(|b| b.is_ascii_digit() || LETTERS.contains(&b));
    if routing_ok && unique_ok {
        split_at(code, 3, ' ')
    } else {
        None
    }
}

fn netherlands(code: &str) -> Option<String> {
    // Dutch postal numbers run from 1000, so a leading zero is always a typo.
    if shape(code) == "9999AA" && !code.starts_with('0') {
        split_at(code, 4, ' ')
    } else {
        None
    }
}

fn spain(code: &str) -> Option<String> {
    // The first two digits are the province number, 01 to 52.
    let province: u8 = code.get(..2)?.parse().ok()?;
    if (1..=52).contains(&province) {
        digit_code(code, 5, None)
    } else {
        None
    }
}

/// Characters that cannot be seen but change meaning: line breaks and tabs break receipts and
/// CSV exports, bidirectional overrides can make a stored address display as a different one,
/// and zero-width marks stop "CA" from matching "CA".
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn hidden_message(noun: &str) -> String {
    format!("Remove the line break, tab or other hidden character from the {noun}.")
}

fn collapse_whitespace(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A typed value for a message, cut short so a huge paste does not flood the form.
fn quote(value: &str) -> String {
    let mut chars = value.chars();
    let shown: String = chars.by_ref().take(MAX_ECHO_CHARS).collect();
    if chars.next().is_some() {
        format!("'{shown}…'")
    } else {
        format!("'{shown}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(
        line1: &str,
        city: &str,
        state: &str,
        postal_code: &str,
        country: &str,
    ) -> AddressInput {
        AddressInput {
            line1: line1.to_owned(),
            line2: String::new(),
            city: city.to_owned(),
            state: state.to_owned(),
            postal_code: postal_code.to_owned(),
            country: country.to_owned(),
        }
    }

    fn ok(input: &AddressInput) -> Address {
        match validate(input) {
            Ok(address) => address,
            Err(errors) => panic!("expected {input:?} to be valid, got {errors:?}"),
        }
    }

    fn errs(input: &AddressInput) -> FieldErrors {
        match validate(input) {
            Ok(address) => panic!("expected {input:?} to be invalid, got {address:?}"),
            Err(errors) => errors,
        }
    }

    fn fields(errors: &FieldErrors) -> Vec<&'static str> {
        errors.iter().map(|&(field, _)| field).collect()
    }

    fn message<'a>(errors: &'a FieldErrors, field: &str) -> &'a str {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
    }

    /// The postal code `validate` makes of `postal` in `country`, with every other field valid.
    fn postal(country: &str, postal: &str) -> Result<Option<String>, String> {
        let state = match country {
            "US" => "CA",
            "CA" => "ON",
            "AU" => "NSW",
            "JP" => "Tokyo",
            "IE" => "Dublin",
            _ => "",
        };
        match validate(&input("1 Main St", "Town", state, postal, country)) {
            Ok(address) => Ok(address.postal_code),
            Err(errors) => {
                assert_eq!(fields(&errors), ["postal_code"], "{errors:?}");
                Err(errors.into_iter().map(|(_, m)| m).collect())
            }
        }
    }

    fn postal_ok(country: &str, raw: &str, expected: &str) {
        assert_eq!(
            postal(country, raw),
            Ok(Some(expected.to_owned())),
            "{country} {raw:?}"
        );
    }

    fn postal_bad(country: &str, raw: &str) {
        assert!(
            postal(country, raw).is_err(),
            "{country} {raw:?} should be rejected"
        );
    }

    #[test]
    fn a_full_us_address_is_trimmed_and_normalised() {
        let address = ok(&AddressInput {
            line1: "  510 Townsend St ".into(),
            line2: "   ".into(),
            city: " San Francisco".into(),
            state: "ca".into(),
            postal_code: " 94103 ".into(),
            country: " us ".into(),
        });
        assert_eq!(
            address,
            Address {
                line1: "510 Townsend St".into(),
                line2: None,
                city: Some("San Francisco".into()),
                state: Some("CA".into()),
                postal_code: Some("94103".into()),
                country: "US".into(),
            }
        );
    }

    #[test]
    fn line2_is_kept_when_given() {
        let mut form = input("1 Main St", "Austin", "TX", "73301", "US");
        form.line2 = " Suite  200 ".into();
        assert_eq!(ok(&form).line2.as_deref(), Some("Suite 200"));
    }

    #[test]
    fn runs_of_whitespace_are_squeezed() {
        let address = ok(&input(
            "  1   Main\u{00A0}\u{3000}St ",
            "New \u{2003} York",
            "NY",
            "10001",
            "US",
        ));
        assert_eq!(address.line1, "1 Main St");
        assert_eq!(address.city.as_deref(), Some("New York"));
    }

    #[test]
    fn us_zip_codes() {
        postal_ok("US", "94107", "94107");
        postal_ok("US", "94107-1234", "94107-1234");
        postal_ok("US", "941071234", "94107-1234");
        postal_ok("US", "94107 1234", "94107-1234");
        postal_ok("US", "００６０１", "00601");
        for bad in [
            "9410",
            "941070",
            "94107-12",
            "ABCDE",
            "94l07",
            "94107-123A",
            "٩٤١٠٧",
        ] {
            postal_bad("US", bad);
        }
    }

    #[test]
    fn missing_zip_code_is_explained() {
        let errors = errs(&input("1 Main St", "Austin", "TX", "", "US"));
        assert_eq!(
            message(&errors, "postal_code"),
            "Enter the ZIP code, e.g. 94107."
        );
    }

    #[test]
    fn bad_zip_code_is_quoted_with_a_hint() {
        let errors = errs(&input("1 Main St", "Austin", "TX", "9410", "US"));
        assert_eq!(
            message(&errors, "postal_code"),
            "'9410' is not a valid ZIP code. Use 5 digits, e.g. 94107, or ZIP+4, e.g. 94107-1234."
        );
    }

    #[test]
    fn us_state_is_required() {
        let errors = errs(&input("1 Main St", "Austin", " ", "73301", "US"));
        assert_eq!(fields(&errors), ["state"]);
        assert_eq!(
            message(&errors, "state"),
            "Choose a state: US addresses need one (e.g. CA)."
        );
    }

    #[test]
    fn us_state_accepts_codes_names_and_iso_forms() {
        for (typed, code) in [
            ("CA", "CA"),
            ("ca", "CA"),
            ("California", "CA"),
            ("CALIFORNIA", "CA"),
            ("US-CA", "CA"),
            ("us-ca", "CA"),
            ("D.C.", "DC"),
            ("District of Columbia", "DC"),
            ("PR", "PR"),
            ("puerto  rico", "PR"),
            ("GU", "GU"),
        ] {
            let address = ok(&input("1 Main St", "Town", typed, "00901", "US"));
            assert_eq!(address.state.as_deref(), Some(code), "{typed}");
        }
    }

    #[test]
    fn unknown_us_state_is_rejected() {
        for bad in [
            "Calif",
            "XX",
            "ON",
            "AA",
            "U",
            "US-",
            "US-XX",
            "Cal\u{00ED}fornia",
        ] {
            let errors = errs(&input("1 Main St", "Town", bad, "94107", "US"));
            assert_eq!(fields(&errors), ["state"], "{bad}");
        }
        let errors = errs(&input("1 Main St", "Town", "Calif", "94107", "US"));
        assert_eq!(
            message(&errors, "state"),
            "'Calif' is not a US state or territory. Use its two-letter code, e.g. CA."
        );
    }

    #[test]
    fn canadian_postal_codes() {
        postal_ok("CA", "k1a0b1", "K1A 0B1");
        postal_ok("CA", "K1A 0B1", "K1A 0B1");
        postal_ok("CA", "k1a-0b1", "K1A 0B1");
        postal_ok("CA", "M5V 3L9", "M5V 3L9");
        for bad in [
            "K1A 0B", "K1A 0B12", "D1A 0B1", "W1A 0B1", "Z1A 0B1", "K1A 0O1", "KIA 0B1", "11A 0B1",
            "K1A0Bé",
        ] {
            postal_bad("CA", bad);
        }
    }

    #[test]
    fn canadian_provinces() {
        for (typed, code) in [
            ("qc", "QC"),
            ("Québec", "QC"),
            ("QUÉBEC", "QC"),
            ("Quebec", "QC"),
            ("CA-ON", "ON"),
            ("Yukon", "YT"),
        ] {
            let address = ok(&input("1 Main St", "Town", typed, "K1A 0B1", "CA"));
            assert_eq!(address.state.as_deref(), Some(code), "{typed}");
        }
        let errors = errs(&input("1 Main St", "Town", "", "K1A 0B1", "CA"));
        assert_eq!(
            message(&errors, "state"),
            "Choose a province: Canadian addresses need one (e.g. ON)."
        );
        let errors = errs(&input("1 Main St", "Town", "NY", "K1A 0B1", "CA"));
        assert!(message(&errors, "state").contains("Canadian province"));
    }

    #[test]
    fn british_postcodes() {
        postal_ok("GB", "sw1a1aa", "SW1A 1AA");
        postal_ok("GB", "SW1A 1AA", "SW1A 1AA");
        postal_ok("GB", "  sw1a   1aa ", "SW1A 1AA");
        postal_ok("GB", "m1 1ae", "M1 1AE");
        postal_ok("GB", "B33 8TH", "B33 8TH");
        postal_ok("GB", "CR2 6XH", "CR2 6XH");
        postal_ok("GB", "DN55 1PT", "DN55 1PT");
        postal_ok("GB", "W1A 0AX", "W1A 0AX");
        postal_ok("GB", "EC1A 1BB", "EC1A 1BB");
        postal_ok("GB", "gir 0aa", "GIR 0AA");
        for bad in [
            "SW1A",
            "SW1A 1A",
            "SW1A 1CA",
            "SW1A 1AK",
            "12345",
            "1W1A 1AA",
            "SW1AA 1AA",
            "SW1A1AAA",
            "ÉC1A 1BB",
        ] {
            postal_bad("GB", bad);
        }
    }

    #[test]
    fn british_county_is_optional_and_kept_as_typed() {
        let address = ok(&input("10 Downing St", "London", "", "SW1A 2AA", "GB"));
        assert_eq!(address.state, None);
        let address = ok(&input(
            "1 High St",
            "Leeds",
            "West  Yorkshire",
            "LS1 1UR",
            "gb",
        ));
        assert_eq!(address.state.as_deref(), Some("West Yorkshire"));
    }

    #[test]
    fn irish_eircode_is_optional_but_checked() {
        assert_eq!(postal("IE", ""), Ok(None));
        postal_ok("IE", "d02x285", "D02 X285");
        postal_ok("IE", "A65 F4E2", "A65 F4E2");
        postal_ok("IE", "D6W 1R2T", "D6W 1R2T");
        for bad in [
            "D02 X28",
            "D02 X2855",
            "B02 X285",
            "D02 XB85",
            "DX2 X285",
            "D6X 1R2T",
        ] {
            postal_bad("IE", bad);
        }
    }

    #[test]
    fn irish_county_is_required_free_text() {
        let errors = errs(&input("1 Main St", "Cork", "", "", "IE"));
        assert_eq!(
            message(&errors, "state"),
            "Enter the county: Irish addresses need one (e.g. Dublin)."
        );
        let address = ok(&input("1 Main St", "Cork", "Co. Cork", "", "IE"));
        assert_eq!(address.state.as_deref(), Some("Co. Cork"));
    }

    #[test]
    fn australian_states_and_postcodes() {
        for (typed, code) in [
            ("nsw", "NSW"),
            ("N.S.W.", "NSW"),
            ("New South Wales", "NSW"),
            ("AU-VIC", "VIC"),
            ("act", "ACT"),
            ("Tasmania", "TAS"),
        ] {
            let address = ok(&input("1 George St", "Sydney", typed, "2000", "AU"));
            assert_eq!(address.state.as_deref(), Some(code), "{typed}");
        }
        let errors = errs(&input("1 George St", "Sydney", "NY", "2000", "AU"));
        assert_eq!(
            message(&errors, "state"),
            "'NY' is not an Australian state or territory. Use its abbreviation, e.g. NSW."
        );
        let errors = errs(&input("1 George St", "Sydney", "", "2000", "AU"));
        assert_eq!(
            message(&errors, "state"),
            "Choose a state: Australian addresses need one (e.g. NSW)."
        );
        postal_bad("AU", "200");
        let errors = errs(&input("1 George St", "Sydney", "NSW", "", "AU"));
        assert_eq!(
            message(&errors, "postal_code"),
            "Enter the postcode, e.g. 2000."
        );
    }

    #[test]
    fn four_digit_countries() {
        for country in ["AU", "NZ", "AT", "BE", "CH", "DK", "NO", "LU"] {
            postal_ok(country, "1234", "1234");
            postal_ok(country, "0150", "0150");
            for bad in ["123", "12345", "12a4", "12-345"] {
                postal_bad(country, bad);
            }
        }
    }

    #[test]
    fn five_digit_countries() {
        for country in ["DE", "FR", "IT", "FI", "MY", "ES"] {
            postal_ok(country, "28013", "28013");
            for bad in ["2801", "280130", "2801A"] {
                postal_bad(country, bad);
            }
        }
        postal_ok("FI", "00100", "00100");
        postal_ok("IT", "00184", "00184");
    }

    #[test]
    fn a_written_country_prefix_is_dropped() {
        postal_ok("LU", "L-1009", "1009");
        postal_ok("LU", "LU-1009", "1009");
        postal_ok("DK", "DK-2100", "2100");
        postal_ok("CH", "ch-8001", "8001");
        postal_ok("SE", "SE-111 52", "111 52");
        postal_ok("NL", "NL-1011 AB", "1011 AB");
        postal_bad("DE", "DK-10115");
    }

    #[test]
    fn spanish_postal_codes_start_with_a_province_number() {
        postal_ok("ES", "01001", "01001");
        postal_ok("ES", "52001", "52001");
        for bad in ["00100", "53001", "99999"] {
            postal_bad("ES", bad);
        }
        let errors = errs(&input("Gran Via 1", "Madrid", "", "53001", "ES"));
        assert_eq!(
            message(&errors, "postal_code"),
            "'53001' is not a valid postal code. Use 5 digits starting 01 to 52, e.g. 28013."
        );
    }

    #[test]
    fn dutch_postal_codes() {
        postal_ok("NL", "1011ab", "1011 AB");
        postal_ok("NL", "1011 AB", "1011 AB");
        postal_ok("NL", "9999zz", "9999 ZZ");
        for bad in [
            "0123 AB", "1011 A", "1011", "1011 ABC", "10111 AB", "AB 1011",
        ] {
            postal_bad("NL", bad);
        }
    }

    #[test]
    fn separated_digit_formats() {
        postal_ok("SE", "11152", "111 52");
        postal_ok("SE", "111 52", "111 52");
        postal_ok("PL", "00950", "00-950");
        postal_ok("PL", "00-950", "00-950");
        postal_ok("CZ", "11000", "110 00");
        postal_ok("CZ", "110 00", "110 00");
        postal_ok("PT", "1100148", "1100-148");
        postal_ok("PT", "1100-148", "1100-148");
        postal_bad("PT", "1100");
        postal_bad("PL", "0095");
        postal_bad("SE", "1115");
        postal_bad("CZ", "110 000");
    }

    #[test]
    fn singapore_needs_six_digits_but_no_city() {
        let address = ok(&input("1 Raffles Place", "", "", "048616", "SG"));
        assert_eq!(address.city, None);
        assert_eq!(address.postal_code.as_deref(), Some("048616"));
        postal_bad("SG", "04861");
        postal_bad("SG", "0486166");
        let errors = errs(&input("1 Raffles Place", "", "", "", "SG"));
        assert_eq!(
            message(&errors, "postal_code"),
            "Enter the postal code, e.g. 018956."
        );
    }

    #[test]
    fn japanese_postal_codes_and_prefectures() {
        let address = ok(&input("千代田1-1", "千代田区", "東京都", "1000001", "JP"));
        assert_eq!(address.postal_code.as_deref(), Some("100-0001"));
        assert_eq!(address.state.as_deref(), Some("東京都"));
        postal_ok("JP", "100-0001", "100-0001");
        postal_ok("JP", "〒100-0001", "100-0001");
        postal_ok("JP", "〒１００－０００１", "100-0001");
        postal_ok("JP", "100ー0001", "100-0001");
        postal_bad("JP", "100-001");
        postal_bad("JP", "１００－００Ａ１");
        let errors = errs(&input("1-1 Chiyoda", "Chiyoda-ku", "", "100-0001", "JP"));
        assert_eq!(
            message(&errors, "state"),
            "Enter the prefecture: Japanese addresses need one (e.g. Tokyo)."
        );
    }

    #[test]
    fn hong_kong_needs_neither_postal_code_nor_city() {
        let address = ok(&input("1 Queen's Road Central", "", "", "", "HK"));
        assert_eq!(address.postal_code, None);
        assert_eq!(address.city, None);
        let address = ok(&input(
            "1 Nathan Rd",
            "Tsim Sha Tsui",
            "Kowloon",
            "999077",
            "HK",
        ));
        assert_eq!(address.postal_code.as_deref(), Some("999077"));
        assert_eq!(address.state.as_deref(), Some("Kowloon"));
    }

    #[test]
    fn city_is_required_elsewhere() {
        let errors = errs(&input("1 Main St", " ", "", "10115", "DE"));
        assert_eq!(fields(&errors), ["city"]);
        assert_eq!(message(&errors, "city"), "Enter the city or town.");
    }

    #[test]
    fn line1_is_always_required() {
        for country in ["US", "HK", "SG", "DE", "ZZ", ""] {
            let errors = errs(&input("  ", "Town", "", "", country));
            assert_eq!(message(&errors, "line1"), "Enter the street address.");
        }
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        let at_limit = "é".repeat(100);
        let address = ok(&input(&at_limit, &at_limit, "", "10115", "DE"));
        assert_eq!(address.line1.chars().count(), 100);

        let mut form = input(
            &"a".repeat(101),
            &"b".repeat(101),
            &"c".repeat(61),
            &"1".repeat(21),
            "DE",
        );
        form.line2 = "d".repeat(101);
        let errors = errs(&form);
        assert_eq!(
            fields(&errors),
            ["line1", "line2", "city", "state", "postal_code"]
        );
        assert_eq!(
            message(&errors, "line1"),
            "Use at most 100 characters for the street address."
        );
        assert_eq!(
            message(&errors, "state"),
            "Use at most 60 characters for the state."
        );
        assert_eq!(
            message(&errors, "postal_code"),
            "Use at most 20 characters for the postal code."
        );
        assert!(ok(&input(
            "1 Main St",
            "Berlin",
            &"c".repeat(60),
            "10115",
            "DE"
        ))
        .state
        .is_some());
    }

    #[test]
    fn hidden_characters_are_rejected() {
        for bad in [
            "Main\nSt",
            "Main\tSt",
            "Main\0St",
            "Main\u{7F}St",
            "Main\u{202E}tS",
            "Main\u{200B}St",
            "Main\u{2028}St",
            "\u{FEFF}Main St",
        ] {
            let errors = errs(&input(bad, "Town", "", "10115", "DE"));
            assert_eq!(fields(&errors), ["line1"], "{bad:?}");
            assert_eq!(
                message(&errors, "line1"),
                "Remove the line break, tab or other hidden character from the street address."
            );
        }
        let mut form = input("1 Main St", "Tow\rn", "C\u{200B}A", "9410\u{1}7", "US");
        form.line2 = "\u{2066}x".into();
        assert_eq!(
            fields(&errs(&form)),
            ["line2", "city", "state", "postal_code"]
        );
        let errors = errs(&input("1 Main St", "Town", "CA", "94107", "U\nS"));
        assert_eq!(
            message(&errors, "country"),
            "Remove the line break, tab or other hidden character from the country."
        );
    }

    #[test]
    fn line_breaks_at_the_ends_are_just_trimmed() {
        let address = ok(&input(
            "\n1 Main St\r\n",
            "\tAustin\t",
            "TX\n",
            "73301\n",
            "US\n",
        ));
        assert_eq!(address.line1, "1 Main St");
        assert_eq!(address.state.as_deref(), Some("TX"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = errs(&input("", "", "", "", "US"));
        assert_eq!(fields(&errors), ["line1", "city", "state", "postal_code"]);
        let errors = errs(&input("", "", "Calif", "ABC", "US"));
        assert_eq!(fields(&errors), ["line1", "city", "state", "postal_code"]);
        assert!(errors
            .iter()
            .all(|(_, m)| !m.is_empty() && m.ends_with('.')));
    }

    #[test]
    fn an_empty_form_asks_for_country_and_street() {
        let errors = errs(&AddressInput::default());
        assert_eq!(fields(&errors), ["country", "line1"]);
        assert_eq!(message(&errors, "country"), "Choose a country.");
    }

    #[test]
    fn unsupported_countries_are_named() {
        let errors = errs(&input("1 Rua A", "São Paulo", "SP", "01000-000", "BR"));
        assert_eq!(fields(&errors), ["country"]);
        assert_eq!(
            message(&errors, "country"),
            "Stripe Terminal readers can't be used in 'BR'. Choose one of the listed countries."
        );
        let errors = errs(&input("", "", "", "", "Narnia"));
        assert_eq!(fields(&errors), ["country", "line1"]);
        assert!(message(&errors, "country").contains("'Narnia'"));
    }

    #[test]
    fn an_unsupported_country_still_gets_generic_checks() {
        let errors = errs(&input("1 Main St", "Town", &"s".repeat(61), "1\t2", "ZZ"));
        assert_eq!(fields(&errors), ["country", "state", "postal_code"]);
    }

    #[test]
    fn countries_can_be_typed_by_name_or_common_alias() {
        for (typed, code) in [
            ("united kingdom", "GB"),
            ("UK", "GB"),
            ("uk", "GB"),
            ("USA", "US"),
            ("United  States", "US"),
            ("new zealand", "NZ"),
            (" gb ", "GB"),
        ] {
            assert_eq!(find_country(typed), Some(code), "{typed}");
        }
        assert_eq!(find_country("U.K."), None);
        assert_eq!(find_country("GBR"), None);
    }

    #[test]
    fn huge_input_is_refused_without_flooding_the_message() {
        let huge = "x".repeat(1_000_000);
        let errors = errs(&AddressInput {
            line1: huge.clone(),
            line2: huge.clone(),
            city: huge.clone(),
            state: huge.clone(),
            postal_code: huge.clone(),
            country: huge,
        });
        assert_eq!(
            fields(&errors),
            ["country", "line1", "line2", "city", "state", "postal_code"]
        );
        let country = message(&errors, "country");
        assert!(country.len() < 200, "{country}");
        assert!(country.contains(&format!("'{}…'", "x".repeat(MAX_ECHO_CHARS))));
    }

    #[test]
    fn odd_unicode_is_handled_without_panicking() {
        let weird = [
            "",
            " ",
            "🏪 Café Ünïcødé",
            "شارع الملك فهد",
            "e\u{301}\u{301}\u{301}",
            "\u{10FFFF}",
            "İ",
            "ß",
            "ﬀ",
            "\u{FF10}\u{FF5E}",
            "〒",
            "ー",
            "US-",
            "-",
            "..",
            "\u{0}",
            "\u{D7FF}\u{E000}",
            "𝟗𝟒𝟏𝟎𝟕",
        ];
        for (code, _) in COUNTRIES.iter().chain(&[("ZZ", ""), ("", "")]) {
            for a in weird {
                for b in weird {
                    let form = AddressInput {
                        line1: a.to_owned(),
                        line2: b.to_owned(),
                        city: a.to_owned(),
                        state: b.to_owned(),
                        postal_code: a.to_owned(),
                        country: (*code).to_owned(),
                    };
                    if let Err(errors) = validate(&form) {
                        assert!(!errors.is_empty());
                    }
                    let _ = field_rules(a);
                }
            }
        }
        let address = ok(&input(
            "🏪 Café Ünïcødé",
            "شارع الملك فهد",
            "",
            "75001",
            "FR",
        ));
        assert_eq!(address.line1, "🏪 Café Ünïcødé");
        postal_bad("US", "𝟗𝟒𝟏𝟎𝟕");
        postal_bad("DE", "ß1234");
    }

    #[test]
    fn cleaned_addresses_validate_to_themselves() {
        let samples = [
            input("1 Main St", "Austin", "texas", "733011234", "us"),
            input("1 Main St", "Ottawa", "Ontario", "k1a0b1", "Canada"),
            input("1 High St", "London", "", "sw1a1aa", "uk"),
            input("1 Main St", "Dublin", "Dublin", "d02x285", "IE"),
            input("1 George St", "Sydney", "n.s.w.", "2000", "AU"),
            input("Damrak 1", "Amsterdam", "", "1011ab", "NL"),
            input("Drottninggatan 1", "Stockholm", "", "SE11152", "SE"),
            input("Marszałkowska 1", "Warszawa", "", "00950", "PL"),
            input("Václavské náměstí 1", "Praha", "", "11000", "CZ"),
            input("Rua Augusta 1", "Lisboa", "", "1100148", "PT"),
            input(
                "千代田1-1",
                "千代田区",
                "東京都",
                "〒１００－０００１",
                "JP",
            ),
            input("1 Raffles Place", "", "", "048616", "SG"),
            input("1 Queen's Road", "", "", "", "HK"),
            input("Grand-Rue 1", "Luxembourg", "", "L-1009", "LU"),
        ];
        for sample in samples {
            let first = ok(&sample);
            let again = ok(&AddressInput {
                line1: first.line1.clone(),
                line2: first.line2.clone().unwrap_or_default(),
                city: first.city.clone().unwrap_or_default(),
                state: first.state.clone().unwrap_or_default(),
                postal_code: first.postal_code.clone().unwrap_or_default(),
                country: first.country.clone(),
            });
            assert_eq!(first, again);
        }
    }

    #[test]
    fn countries_are_sorted_unique_and_all_have_rules() {
        assert!(
            COUNTRIES.windows(2).all(|w| w[0].1 < w[1].1),
            "sorted by name"
        );
        for (i, (code, name)) in COUNTRIES.iter().enumerate() {
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{code}"
            );
            assert!(!name.is_empty());
            assert!(rules_for(code).is_some(), "{code} has no rules");
            assert!(
                COUNTRIES[i + 1..].iter().all(|(other, _)| other != code),
                "{code} twice"
            );
        }
        for code in [
            "US", "CA", "GB", "IE", "AU", "NZ", "FR", "DE", "NL", "BE", "AT", "CH", "ES", "IT",
            "PT", "SE", "DK", "NO", "FI", "PL", "CZ", "LU", "SG", "MY", "JP", "HK",
        ] {
            assert!(COUNTRIES.iter().any(|(c, _)| *c == code), "{code} missing");
        }
    }

    #[test]
    fn every_country_has_a_postal_example_that_passes_its_own_check() {
        for (code, _) in COUNTRIES {
            let Some(rules) = rules_for(code) else {
                panic!("{code} has no rules");
            };
            if !matches!(rules.postal, Postal::Any) {
                let normalised = normalise_postal(rules.postal_example, code, rules.postal);
                assert_eq!(normalised.as_deref(), Some(rules.postal_example), "{code}");
            }
        }
    }

    /// The rules the brief gives a country, in the form's order.
    fn rules(
        state_label: &'static str,
        state_required: bool,
        postal_label: &'static str,
        postal_required: bool,
        city_required: bool,
    ) -> FieldRules {
        FieldRules {
            state_label,
            state_required,
            postal_label,
            postal_required,
            city_required,
        }
    }

    #[test]
    fn field_rules_match_the_brief() {
        assert_eq!(
            field_rules("US"),
            rules("State", true, "ZIP code", true, true)
        );
        assert_eq!(
            field_rules("us"),
            rules("State", true, "ZIP code", true, true)
        );
        assert_eq!(
            field_rules("CA"),
            rules("Province", true, "Postal code", true, true)
        );
        assert_eq!(
            field_rules("IE"),
            rules("County", true, "Eircode", false, true)
        );
        assert_eq!(
            field_rules("JP"),
            rules("Prefecture", true, "Postal code", true, true)
        );
        assert_eq!(
            field_rules("AU"),
            rules("State", true, "Postcode", true, true)
        );
        assert_eq!(
            field_rules("GB"),
            rules("County", false, "Postcode", true, true)
        );
        assert_eq!(
            field_rules("HK"),
            rules("Area", false, "Postal code", false, false)
        );
        assert!(!field_rules("SG").city_required);
        assert_eq!(
            field_rules("ZZ"),
            rules("State or region", false, "Postal code", false, false)
        );
        assert_eq!(
            field_rules(""),
            rules("State or region", false, "Postal code", false, false)
        );
    }

    #[test]
    fn field_rules_agree_with_validate() {
        for (code, _) in COUNTRIES {
            let FieldRules {
                state_required,
                postal_required,
                city_required,
                ..
            } = field_rules(code);
            let reported = match validate(&input("1 Main St", "", "", "", code)) {
                Ok(_) => Vec::new(),
                Err(errors) => fields(&errors),
            };
            let mut expected = Vec::new();
            if city_required {
                expected.push("city");
            }
            if state_required {
                expected.push("state");
            }
            if postal_required {
                expected.push("postal_code");
            }
            assert_eq!(reported, expected, "{code}");
        }
    }
}
