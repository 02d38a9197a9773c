//! The budget ledger: reservations of an attempt's worst case before it runs, settled with what
//! it really used afterwards (DESIGN §6, check 4).
//!
//! Every cap is checked against `spent + reserved + demand` under one lock, so steps running in
//! parallel can never together go past a cap: the last unit goes to exactly one of them. Money
//! is counted in whole micro-dollars (no rounding drift); worst cases round up.
//!
//! The only way past a cap is a provider billing more than the declared maximum (e.g. a prompt
//! that tokenised longer than estimated): the overrun is recorded, logged and reported.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use studio_core::Budget;

/// One micro-dollar is the unit of money.
pub const MICROS_PER_USD: f64 = 1_000_000.0;

/// USD to micro-dollars, rounded up (for costs and worst cases).
pub fn usd_to_micros_up(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * MICROS_PER_USD).ceil() as u64
    } else {
        0
    }
}

/// USD to micro-dollars, rounded down (for caps).
pub fn usd_to_micros_down(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * MICROS_PER_USD).floor() as u64
    } else {
        0
    }
}

pub fn micros_to_usd(micros: u64) -> f64 {
    micros as f64 / MICROS_PER_USD
}

/// An amount in every dimension the budget caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Spend {
    /// Attempts (Spark's iterations).
    pub steps: u64,
    pub llm_calls: u64,
    pub tokens: u64,
    pub cost_micros: u64,
}

impl Spend {
    pub fn cost_usd(&self) -> f64 {
        micros_to_usd(self.cost_micros)
    }

    fn add(self, o: Spend) -> Spend {
        Spend {
            steps: self.steps.saturating_add(o.steps),
            llm_calls: self.llm_calls.saturating_add(o.llm_calls),
            tokens: self.tokens.saturating_add(o.tokens),
            cost_micros: self.cost_micros.saturating_add(o.cost_micros),
        }
    }

    fn sub(self, o: Spend) -> Spend {
        Spend {
            steps: self.steps.saturating_sub(o.steps),
            llm_calls: self.llm_calls.saturating_sub(o.llm_calls),
            tokens: self.tokens.saturating_sub(o.tokens),
            cost_micros: self.cost_micros.saturating_sub(o.cost_micros),
        }
    }

    /// Whether any dimension of `self` is above `other`.
    fn exceeds(&self, o: &Spend) -> bool {
        self.steps > o.steps
            || self.llm_calls > o.llm_calls
            || self.tokens > o.tokens
            || self.cost_micros > o.cost_micros
    }
}

/// An LLM call's part of a demand: the prompt (estimated) plus up to `max_tokens` of answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlmDemand {
    pub prompt_tokens: u64,
    pub requested_max_tokens: u64,
    /// USD per million tokens = micro-dollars per token.
    pub input_price_per_mtok: f64,
    pub output_price_per_mtok: f64,
}

impl LlmDemand {
    fn cost_micros(&self, completion_tokens: u64) -> u64 {
        token_cost_micros(
            self.prompt_tokens,
            completion_tokens,
            self.input_price_per_mtok,
            self.output_price_per_mtok,
        )
    }
}

/// What tokens cost at a price in USD per million tokens, in micro-dollars (rounded up).
pub fn token_cost_micros(prompt: u64, completion: u64, input_mtok: f64, output_mtok: f64) -> u64 {
    let micros = prompt as f64 * input_mtok.max(0.0) + completion as f64 * output_mtok.max(0.0);
    micros.ceil() as u64
}

/// Budget held for one attempt until it is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub amount: Spend,
    /// The part that is not an LLM call (steps, a tool's cost estimate).
    pub base: Spend,
    /// For an LLM call: the `max_tokens` it may use (the request clamped to what was left).
    pub granted_max_tokens: Option<u64>,
}

/// Why a demand was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "budget_exceeded: {cap} is {limit}; {used} used or reserved, this attempt needs up to {needed}"
)]
pub struct BudgetRefusal {
    /// The perimeter field: `max_steps`, `max_llm_calls`, `max_tokens`, `max_cost_usd`.
    pub cap: &'static str,
    pub limit: String,
    pub used: String,
    pub needed: String,
    /// The same three amounts in the cap's unit (micro-dollars for money).
    pub amounts: RefusalAmounts,
}

/// A refusal's amounts as numbers: the cap, what was used or reserved, what the attempt needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalAmounts {
    pub limit: u64,
    pub used: u64,
    pub needed: u64,
}

/// A settlement above the reservation (a provider billed beyond the declared maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrun {
    pub reserved: Spend,
    pub actual: Spend,
}

#[derive(Debug, Default)]
struct Totals {
    spent: Spend,
    reserved: Spend,
    overruns: Vec<Overrun>,
}

/// The caps of a run and what has been spent and reserved against them.
#[derive(Debug)]
pub struct Ledger {
    caps: Spend,
    has: [bool; 4],
    totals: Mutex<Totals>,
    /// Set once an LLM call or a priced tool was charged.
    money: std::sync::atomic::AtomicBool,
}

impl Ledger {
    pub fn new(budget: &Budget) -> Self {
        let caps = Spend {
            steps: budget.max_steps.unwrap_or(u64::MAX),
            llm_calls: budget.max_llm_calls.unwrap_or(u64::MAX),
            tokens: budget.max_tokens.unwrap_or(u64::MAX),
            cost_micros: budget.max_cost_usd.map_or(u64::MAX, usd_to_micros_down),
        };
        Self {
            caps,
            has: [
                budget.max_steps.is_some(),
                budget.max_llm_calls.is_some(),
                budget.max_tokens.is_some(),
                budget.max_cost_usd.is_some(),
            ],
            totals: Mutex::default(),
            money: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Totals> {
        self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves `base` (steps, calls, a tool's cost) plus, for an LLM call, its prompt and as
    /// many answer tokens as asked — or as many as the budget has left, if fewer (at least 1).
    pub fn reserve(
        &self,
        base: Spend,
        llm: Option<&LlmDemand>,
    ) -> Result<Reservation, BudgetRefusal> {
        let mut t = self.lock();
        let used = t.spent.add(t.reserved);
        let left = self.caps.sub(used);
        let mut demand = base;
        let mut granted = None;
        if let Some(llm) = llm {
            demand.llm_calls = demand.llm_calls.max(1);
            let prompt_cost = llm.cost_micros(0);
            let mut max_out = llm.requested_max_tokens.max(1);
            max_out = max_out.min(
                left.tokens
                    .saturating_sub(base.tokens)
                    .saturating_sub(llm.prompt_tokens),
            );
            if llm.output_price_per_mtok > 0.0 {
                let money = left
                    .cost_micros
                    .saturating_sub(base.cost_micros)
                    .saturating_sub(prompt_cost);
                let by_money = (money as f64 / llm.output_price_per_mtok).floor();
                max_out = max_out.min(by_money.min(u64::MAX as f64) as u64);
            }
            // Rounding the cost up can still leave it one micro-dollar over: step down.
            while max_out > 0 && base.cost_micros + llm.cost_micros(max_out) > left.cost_micros {
                max_out -= 1;
            }
            let max_out = max_out.max(1);
            demand.tokens = demand.tokens + llm.prompt_tokens + max_out;
            demand.cost_micros += llm.cost_micros(max_out);
            granted = Some(max_out);
        }
        if let Some(refusal) = self.refusal(&used, &demand) {
            return Err(refusal);
        }
        t.reserved = t.reserved.add(demand);
        Ok(Reservation {
            amount: demand,
            base,
            granted_max_tokens: granted,
        })
    }

    fn refusal(&self, used: &Spend, demand: &Spend) -> Option<BudgetRefusal> {
        if self.has == [false; 4] {
            return None;
        }
        let checks: [(&'static str, bool, u64, u64, u64); 4] = [
            (
                "max_steps",
                self.has[0],
                self.caps.steps,
                used.steps,
                demand.steps,
            ),
            (
                "max_llm_calls",
                self.has[1],
                self.caps.llm_calls,
                used.llm_calls,
                demand.llm_calls,
            ),
            (
                "max_tokens",
                self.has[2],
                self.caps.tokens,
                used.tokens,
                demand.tokens,
            ),
            (
                "max_cost_usd",
                self.has[3],
                self.caps.cost_micros,
                used.cost_micros,
                demand.cost_micros,
            ),
        ];
        for (cap, has, limit, used, need) in checks {
            if has && used.saturating_add(need) > limit {
                let show = |v: u64| {
                    if cap == "max_cost_usd" {
                        format!("{:.6} USD", micros_to_usd(v))
                    } else {
                        v.to_string()
                    }
                };
                return Some(BudgetRefusal {
                    cap,
                    limit: show(limit),
                    used: show(used),
                    needed: show(need),
                    amounts: RefusalAmounts {
                        limit,
                        used,
                        needed: need,
                    },
                });
            }
        }
        None
    }

    /// Ends a reservation. `llm_used` is what the attempt's LLM call reported (tokens, cost,
    /// one call); without it an LLM attempt is charged all it reserved, the safe assumption.
    /// The base part (steps, a tool's estimate) is always charged. Returns the overrun when the
    /// charge is above the reservation; it is logged.
    pub fn settle(&self, reservation: &Reservation, llm_used: Option<Spend>) -> Option<Overrun> {
        let actual = match (reservation.granted_max_tokens, llm_used) {
            (Some(_), Some(used)) => reservation.base.add(used),
            _ => reservation.amount,
        };
        if actual.llm_calls > 0 || actual.tokens > 0 || actual.cost_micros > 0 {
            self.money.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let mut t = self.lock();
        t.reserved = t.reserved.sub(reservation.amount);
        t.spent = t.spent.add(actual);
        if actual.exceeds(&reservation.amount) {
            let overrun = Overrun {
                reserved: reservation.amount,
                actual,
            };
            tracing::warn!(
                reserved_tokens = reservation.amount.tokens,
                actual_tokens = actual.tokens,
                reserved_usd = reservation.amount.cost_usd(),
                actual_usd = actual.cost_usd(),
                "an attempt used more than its reservation (the provider billed beyond the declared maximum)"
            );
            t.overruns.push(overrun);
            return Some(overrun);
        }
        None
    }

    /// Gives a reservation back unused (the attempt never ran).
    pub fn release(&self, reservation: &Reservation) {
        let mut t = self.lock();
        t.reserved = t.reserved.sub(reservation.amount);
    }

    pub fn spent(&self) -> Spend {
        self.lock().spent
    }

    /// Whether anything but steps was ever charged.
    pub fn has_spent_money(&self) -> bool {
        self.money.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn overruns(&self) -> Vec<Overrun> {
        self.lock().overruns.clone()
    }

    /// What a cap has left (`None` = no cap).
    pub fn left_tokens(&self) -> Option<u64> {
        let t = self.lock();
        self.has[2].then(|| {
            self.caps
                .tokens
                .saturating_sub(t.spent.add(t.reserved).tokens)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step() -> Spend {
        Spend {
            steps: 1,
            ..Default::default()
        }
    }

    #[test]
    fn the_last_unit_goes_to_one_attempt_only() {
        let ledger = Ledger::new(&Budget {
            max_steps: Some(2),
            ..Default::default()
        });
        let a = ledger.reserve(step(), None).unwrap();
        let _b = ledger.reserve(step(), None).unwrap();
        let err = ledger.reserve(step(), None).unwrap_err();
        assert_eq!(err.cap, "max_steps");
        assert!(
            err.to_string()
                .starts_with("budget_exceeded: max_steps is 2"),
            "{err}"
        );
        ledger.settle(&a, None);
        assert!(
            ledger.reserve(step(), None).is_err(),
            "a settled step stays spent"
        );
    }

    #[test]
    fn llm_max_tokens_are_clamped_to_what_is_left() {
        let ledger = Ledger::new(&Budget {
            max_tokens: Some(300),
            max_cost_usd: Some(1.0),
            ..Default::default()
        });
        let demand = LlmDemand {
            prompt_tokens: 100,
            requested_max_tokens: 1000,
            input_price_per_mtok: 1.0,
            output_price_per_mtok: 2.0,
        };
        let r = ledger.reserve(step(), Some(&demand)).unwrap();
        assert_eq!(r.granted_max_tokens, Some(200));
        assert_eq!(r.amount.tokens, 300);
        assert_eq!(r.amount.cost_micros, 100 + 400);
        let err = ledger.reserve(step(), Some(&demand)).unwrap_err();
        assert_eq!(err.cap, "max_tokens");
    }

    #[test]
    fn money_clamps_the_answer_too() {
        let ledger = Ledger::new(&Budget {
            max_cost_usd: Some(0.001),
            ..Default::default()
        });
        let demand = LlmDemand {
            prompt_tokens: 10,
            requested_max_tokens: 10_000,
            input_price_per_mtok: 10.0,
            output_price_per_mtok: 30.0,
        };
        let r = ledger.reserve(Spend::default(), Some(&demand)).unwrap();
        // 1000 micro-dollars: 100 for the prompt, 900 / 30 = 30 answer tokens.
        assert_eq!(r.granted_max_tokens, Some(30));
        assert!(r.amount.cost_micros <= 1000);
        ledger.settle(&r, None);
        assert_eq!(
            ledger
                .reserve(Spend::default(), Some(&demand))
                .unwrap_err()
                .cap,
            "max_cost_usd"
        );
    }

    #[test]
    fn settling_below_the_reservation_frees_the_rest_and_above_it_is_an_overrun() {
        let ledger = Ledger::new(&Budget {
            max_tokens: Some(100),
            ..Default::default()
        });
        let demand = LlmDemand {
            prompt_tokens: 10,
            requested_max_tokens: 90,
            input_price_per_mtok: 0.0,
            output_price_per_mtok: 0.0,
        };
        let r = ledger.reserve(Spend::default(), Some(&demand)).unwrap();
        let used = Spend {
            llm_calls: 1,
            tokens: 40,
            ..Default::default()
        };
        assert_eq!(ledger.settle(&r, Some(used)), None);
        assert_eq!(ledger.left_tokens(), Some(60));
        let r = ledger.reserve(Spend::default(), Some(&demand)).unwrap();
        assert_eq!(r.granted_max_tokens, Some(50));
        let over = Spend {
            llm_calls: 1,
            tokens: 70,
            ..Default::default()
        };
        assert!(ledger.settle(&r, Some(over)).is_some());
        assert_eq!(ledger.overruns().len(), 1);
    }

    #[test]
    fn no_caps_never_refuse() {
        let ledger = Ledger::new(&Budget::default());
        for _ in 0..1000 {
            let r = ledger.reserve(step(), None).unwrap();
            ledger.settle(&r, None);
        }
        assert_eq!(ledger.spent().steps, 1000);
    }
}
