//! Attack mode and the settled-site test as gauges, read from
//! [`Engine::status`] when scraped: whether members are being stepped up
//! because of a campaign, and why.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use tollgate::status::{AttackModeScope, CampaignScope};
use tollgate::{Engine, Timestamp};

use crate::Registry;

/// Adds the status gauges to `registry`, read from `engine` at each
/// scrape as of `clock()` (the system clock in a service: pass
/// `|| Timestamp::from(std::time::SystemTime::now())`):
///
/// * `tollgate_attack_mode_scopes{level, warm}`: scopes attack mode reads,
///   by level (`site`, `country`, `network`) and whether their baseline is
///   warm;
/// * `tollgate_attack_mode_campaigns{level}`: of them, those with a
///   campaign on now;
/// * `tollgate_attack_mode_site_ratio{share, of}`: the whole site's share
///   of failed logins (`share="failure"`) and of logins naming no account
///   (`share="unknown_user"`), in the last window judged
///   (`of="window"`) and its baseline (`of="baseline"`), 0 to 1;
/// * `tollgate_site_settled`: 1 while the site is settled, 0 while not,
///   absent until the day's first login takes the day's verdict;
/// * `tollgate_site_stranger_ratio{span}`: strangers' share of the
///   successful logins of the day before (`span="yesterday"`) and of the
///   seven days before (`span="week"`), 0 to 1, at the day's verdict;
///   absent for a span without logins.
///
/// Register it once per registry and engine: a second registration
/// writes the same families twice.
///
/// Every label comes from a closed set: no country, network or user.
pub fn register_status<S>(registry: &mut Registry, engine: Arc<Engine<S>>, clock: fn() -> Timestamp)
where
    S: Send + Sync + 'static,
{
    registry.register_collector(Box::new(StatusCollector { engine, clock }));
}

struct StatusCollector<S> {
    engine: Arc<Engine<S>>,
    clock: fn() -> Timestamp,
}

impl<S> fmt::Debug for StatusCollector<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusCollector").finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    level: &'static str,
    warm: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabels {
    level: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShareLabels {
    share: &'static str,
    of: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SpanLabels {
    span: &'static str,
}

/// A family of gauges under one name and help text.
fn gauges<'a>(
    encoder: &'a mut DescriptorEncoder<'_>,
    name: &'a str,
    help: &str,
) -> Result<MetricEncoder<'a>, fmt::Error> {
    encoder.encode_descriptor(name, help, None, MetricType::Gauge)
}

fn count(scopes: &[AttackModeScope], keep: impl Fn(&AttackModeScope) -> bool) -> i64 {
    i64::try_from(scopes.iter().filter(|s| keep(s)).count()).unwrap_or(i64::MAX)
}

impl<S: Send + Sync + 'static> Collector for StatusCollector<S> {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let now = (self.clock)();
        let status = self.engine.status(now);
        let scopes = &status.attack_mode;
        let mut family = gauges(
            &mut encoder,
            "tollgate_attack_mode_scopes",
            "Scopes attack mode reads, by level and whether their baseline is warm",
        )?;
        for level in CampaignScope::LEVELS {
            for (warm, is) in [("true", true), ("false", false)] {
                let n = count(scopes, |s| s.scope.level() == level && s.warm == is);
                ConstGauge::new(n).encode(family.encode_family(&ScopeLabels { level, warm })?)?;
            }
        }
        let mut family = gauges(
            &mut encoder,
            "tollgate_attack_mode_campaigns",
            "Scopes with a campaign on now: logins from clients their account never used are stepped up",
        )?;
        for level in CampaignScope::LEVELS {
            let n = count(scopes, |s| s.on && s.scope.level() == level);
            ConstGauge::new(n).encode(family.encode_family(&LevelLabels { level })?)?;
        }
        if let Some(site) = scopes.iter().find(|s| s.scope == CampaignScope::Site) {
            let mut family = gauges(
                &mut encoder,
                "tollgate_attack_mode_site_ratio",
                "The site's shares of failed logins and of logins naming no account: the last window judged and the baseline",
            )?;
            let shares = [
                ("failure", "window", site.failure_percent),
                ("failure", "baseline", Some(site.baseline_failure_percent)),
                ("unknown_user", "window", site.unknown_percent),
                ("unknown_user", "baseline", Some(site.baseline_unknown_percent)),
            ];
            for (share, of, percent) in shares {
                if let Some(p) = percent {
                    ConstGauge::new(p / 100.0).encode(family.encode_family(&ShareLabels { share, of })?)?;
                }
            }
        }
        // Yesterday's verdict says nothing about today: no gauge until the
        // day's first login takes one.
        if let Some(settled) = status.settled.filter(|s| s.is_for(now)) {
            let gauge = ConstGauge::new(i64::from(settled.settled));
            gauge.encode(encoder.encode_descriptor(
                "tollgate_site_settled",
                "1 while strangers to any account are stepped up (the site is settled), 0 while not",
                None,
                gauge.metric_type(),
            )?)?;
            let mut family = gauges(
                &mut encoder,
                "tollgate_site_stranger_ratio",
                "Strangers' share of the successful logins of the day before and of the seven days before, at the last verdict",
            )?;
            let spans = [
                ("yesterday", settled.yesterday_basis_points),
                ("week", settled.week_basis_points),
            ];
            for (span, bp) in spans {
                // Without logins there is no share, rather than 100 %.
                if let Some(bp) = bp {
                    ConstGauge::new(bp as f64 / 10_000.0).encode(family.encode_family(&SpanLabels { span })?)?;
                }
            }
        }
        Ok(())
    }
}
