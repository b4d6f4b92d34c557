//! Labels made from a pattern for many readers at once, e.g. `{location} till {n}`.
//!
//! Placeholders: `{location}` (the reader's location name), `{n}` (its place among the
//! selected readers of the same location, from 1), `{i}` (its place in the whole selection,
//! from 1), `{label}` (its current label), `{serial}` (its serial number) and `{device}` (its
//! device, e.g. "BBPOS WisePOS E"). `{{` and `}}` write a brace. Anything else between braces is
//! refused, so a typo never becomes part of 500 labels.

/// The most a label may hold, as Stripe and the single-reader form allow.
pub const MAX_LABEL_CHARS: usize = 64;

/// What a pattern may name, in the order the help text lists them.
pub const PLACEHOLDERS: [&str; 6] = ["location", "n", "i", "label", "serial", "device"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(&'static str),
}

/// A checked pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

/// What one reader contributes to its label.
#[derive(Debug, Clone, Copy, Default)]
pub struct Values<'a> {
    pub location: &'a str,
    pub n: usize,
    pub i: usize,
    pub label: &'a str,
    pub serial: &'a str,
    pub device: &'a str,
}

impl Pattern {
    /// The pattern, or a sentence saying what is wrong with it.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("Enter a pattern for the new labels, e.g. {location} till {n}.".into());
        }
        if text.chars().count() > 200 {
            return Err("Keep the pattern under 200 characters.".into());
        }
        if text.chars().any(char::is_control) {
            return Err("The pattern has a character that cannot be shown.".into());
        }
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err("A “{” is not closed: write placeholders as {location}, or {{ for a brace.".into());
                    }
                    let Some(field) = PLACEHOLDERS.iter().find(|p| **p == name.trim()) else {
                        return Err(format!(
                            "“{{{}}}” is not a placeholder; use {}.",
                            crate::error::quote(&name),
                            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                        ));
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Field(field));
                }
                '}' => {
                    return Err("A “}” has no “{”: write }} for a brace.".into());
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Pattern { pieces })
    }

    /// The label for one reader, or why it cannot be one (too long, empty).
    pub fn label(&self, values: &Values<'_>) -> Result<String, String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Field("location") => out.push_str(values.location),
                Piece::Field("n") => out.push_str(&values.n.to_string()),
                Piece::Field("i") => out.push_str(&values.i.to_string()),
                Piece::Field("label") => out.push_str(values.label),
                Piece::Field("serial") => out.push_str(values.serial),
                Piece::Field(_) => out.push_str(values.device),
            }
        }
        let label = out.trim().to_string();
        if label.is_empty() {
            return Err("The pattern gives this reader an empty label.".into());
        }
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(format!(
                "The new label would be {} characters; a label holds at most {MAX_LABEL_CHARS}.",
                label.chars().count()
            ));
        }
        if label.chars().any(char::is_control) {
            return Err("The new label has a character that cannot be shown.".into());
        }
        Ok(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            location: "Main St",
            n: 2,
            i: 7,
            label: "Old",
            serial: "WSC-1",
            device: "BBPOS WisePOS E",
        }
    }

    #[test]
    fn placeholders_are_filled_in() {
        let p = Pattern::parse("{location} till {n}").expect("pattern");
        assert_eq!(p.label(&values()).as_deref(), Ok("Main St till 2"));
        let p = Pattern::parse("#{i} {label} ({serial}, {device})").expect("pattern");
        assert_eq!(
            p.label(&values()).as_deref(),
            Ok("#7 Old (WSC-1, BBPOS WisePOS E)")
        );
        let p = Pattern::parse("{{n}} {n}").expect("pattern");
        assert_eq!(p.label(&values()).as_deref(), Ok("{n} 2"));
    }

    #[test]
    fn mistakes_are_refused_with_a_reason() {
        for bad in ["", "   ", "{nope} 1", "{location", "till }", "a\u{7}b"] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?}");
        }
        let err = Pattern::parse("{locaton} {n}").expect_err("typo");
        assert!(err.contains("{location}"), "{err}");
    }

    #[test]
    fn a_label_too_long_or_empty_is_refused_per_reader() {
        let p = Pattern::parse("{label}").expect("pattern");
        let long = "x".repeat(65);
        let v = Values {
            label: &long,
            ..values()
        };
        assert!(p.label(&v).is_err());
        let v = Values {
            label: "  ",
            ..values()
        };
        assert!(p.label(&v).is_err());
    }
}
