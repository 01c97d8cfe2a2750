//! Claims checked against measurements: `ratio = numerator / denominator`,
//! and a claim holds when `ratio >= at_least`.

use crate::measurements::{Measurements, Value};
use crate::registry::{self, Claim};
use crate::units::{format_ratio_ascii, format_threshold_ascii, format_value};

/// What the measurements say about one claim.
#[derive(Debug, Clone)]
pub enum Verdict<'a> {
    Holds(Evidence<'a>),
    DoesNotHold(Evidence<'a>),
    /// The measurements lack a figure the claim needs, or it cannot divide.
    Unusable {
        claim: &'a Claim,
        reason: String,
    },
}

/// The two figures behind a claim and their ratio.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    pub claim: &'a Claim,
    pub numerator: &'a Value,
    pub denominator: &'a Value,
    pub ratio: f64,
}

pub fn evaluate<'a>(
    claim: &'a Claim,
    measurements: &'a Measurements,
) -> Verdict<'a> {
    let missing: Vec<&str> = [&claim.numerator, &claim.denominator]
        .into_iter()
        .filter(|id| !measurements.values.contains_key(id.as_str()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Verdict::Unusable {
            claim,
            reason: format!(
                "has no measurement `{}`: measure its source (`booktools measure --source {}`)",
                missing.join("`, `"),
                missing[0].split('/').next().unwrap_or_default()
            ),
        };
    }
    let numerator = &measurements.values[&claim.numerator];
    let denominator = &measurements.values[&claim.denominator];
    if numerator.unit != denominator.unit {
        return Verdict::Unusable {
            claim,
            reason: format!(
                "compares `{}` ({:?}) with `{}` ({:?}): both sides need the same unit",
                claim.numerator, numerator.unit, claim.denominator, denominator.unit
            ),
        };
    }
    if denominator.value <= 0.0 {
        return Verdict::Unusable {
            claim,
            reason: format!(
                "divides by `{}` = {}: a ratio needs a positive denominator",
                claim.denominator, denominator.value
            ),
        };
    }
    let evidence = Evidence {
        claim,
        numerator,
        denominator,
        ratio: numerator.value / denominator.value,
    };
    if evidence.ratio >= claim.at_least {
        Verdict::Holds(evidence)
    } else {
        Verdict::DoesNotHold(evidence)
    }
}

impl Verdict<'_> {
    pub fn claim(&self) -> &Claim {
        match self {
            Verdict::Holds(e) | Verdict::DoesNotHold(e) => e.claim,
            Verdict::Unusable { claim, .. } => claim,
        }
    }

    pub fn holds(&self) -> bool {
        matches!(self, Verdict::Holds(_))
    }

    /// One line for the terminal: `ok    id: 84.1x >= 20x`, or an error
    /// naming the figures and where the claim is defined.
    pub fn report(&self) -> String {
        match self {
            Verdict::Holds(e) => format!(
                "ok    {}: {} >= {}",
                e.claim.id,
                format_ratio_ascii(e.ratio),
                format_threshold_ascii(e.claim.at_least)
            ),
            _ => format!("error: {}", self.problem()),
        }
    }

    /// Why the claim fails (or that it holds), as a sentence.
    pub fn problem(&self) -> String {
        match self {
            Verdict::Holds(e) => format!("claim `{}` holds", e.claim.id),
            Verdict::DoesNotHold(e) => e.failure(),
            Verdict::Unusable { claim, reason } => format!(
                "claim `{}` {reason} [{}]",
                claim.id,
                registry::location(claim.line)
            ),
        }
    }
}

impl Evidence<'_> {
    /// Why the claim does not hold, with its figures and where it is defined.
    pub fn failure(&self) -> String {
        format!(
            "claim `{}` does not hold: measured ratio {} is below its threshold {} ({}) [{}]",
            self.claim.id,
            format_ratio_ascii(self.ratio),
            format_threshold_ascii(self.claim.at_least),
            self.figures(),
            registry::location(self.claim.line)
        )
    }

    /// `spawn/thread = 31.2 µs, spawn/task = 2.52 µs`.
    pub fn figures(&self) -> String {
        format!(
            "{} = {}, {} = {}",
            self.claim.numerator,
            format_value(self.numerator.value, self.numerator.unit),
            self.claim.denominator,
            format_value(self.denominator.value, self.denominator.unit)
        )
    }
}
