"""The curves the networks' posting-time priors are made of (shared where
networks share a shape), and the studies they follow. See
`analytics.posting_times` for what a prior is and the sources in full.

The numbers are our coarse reading of those studies' charts (times local to
the audience), rounded to one decimal; the studies publish heat maps, not
these values.
"""

from __future__ import annotations

from networks.profile import NetworkPrior

# Hour curves, 07:00 to 21:00 local, one value per hour.
BUSINESS = (0.5, 0.7, 0.9, 1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.5, 0.4, 0.4, 0.3, 0.3)
MICROBLOG = (0.6, 0.8, 1.0, 1.0, 0.9, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5, 0.4)
FEDIVERSE = (0.5, 0.7, 0.9, 1.0, 0.9, 0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.8, 0.8, 0.7, 0.6)
VISUAL = (0.5, 0.7, 0.9, 1.0, 1.0, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.7, 0.7, 0.6, 0.5)
FEED = (0.6, 0.9, 1.0, 1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.4)
NEWSLETTER = (0.6, 0.8, 0.9, 1.0, 0.9, 0.7, 0.7, 0.8, 0.7, 0.6, 0.5, 0.4, 0.4, 0.4, 0.3)
FLAT = (0.7, 0.8, 0.9, 1.0, 1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5, 0.5)
# Weekday curves, Monday to Sunday.
WEEKDAYS_B2B = (0.8, 1.0, 1.0, 0.9, 0.7, 0.3, 0.3)
WEEKDAYS_SOCIAL = (0.9, 1.0, 1.0, 0.9, 0.8, 0.5, 0.4)
WEEKDAYS_SOFT = (0.9, 1.0, 1.0, 0.9, 0.9, 0.7, 0.7)
WEEKDAYS_NEWSLETTER = (0.8, 1.0, 0.9, 1.0, 0.8, 0.4, 0.4)
WEEKDAYS_FLAT = (1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.8)

SPROUT = "Sprout Social best-times study (2023)"
HOOTSUITE = "Hootsuite best-time report"
BUFFER = "Buffer best-time analyses"

# Microblogs without a published study borrow the large microblog's shape,
# flattened (less algorithmic timelines, more evening reading).
FEDIVERSE_PRIOR = NetworkPrior(
    FEDIVERSE,
    WEEKDAYS_SOFT,
    "X's microblog shape, flattened, with evening reading (no study yet)",
    f"borrowed from X ({SPROUT}; {BUFFER})",
    plain="typical engagement peaks mid-morning on weekdays, with evening reading too",
)

_FLAT_SUMMARY = "business hours, slightly favouring weekday mornings (no study fits)"
_FLAT_SOURCE = "none: a deliberately flat prior"


def flat_prior(plain: str) -> NetworkPrior:
    """No study fits an unknown audience: business hours, weekday mornings
    slightly first."""
    return NetworkPrior(FLAT, WEEKDAYS_FLAT, _FLAT_SUMMARY, _FLAT_SOURCE, plain=plain)


# What a network without a prior of its own (an unknown key) is planned with.
FALLBACK_PRIOR = flat_prior(
    "no audience data: business hours, weekday mornings slightly first"
)
