"""Fail over to other regions when one is throttled or unavailable.

    python examples/region_failover.py us-east-1 us-west-2

The first region is tried first, the others in order after it. The same model id is resolved
for each region (us. / eu. / apac. inference profiles). Without fallback_regions=, the regions
in BEDROCK_FALLBACK_REGIONS are used.
"""

import sys

from bedrock_auth import converse

primary, *fallbacks = sys.argv[1:] or ["us-east-1", "us-west-2"]
result = converse(
    "claude-sonnet-4-5", "Which region answered?", region=primary, fallback_regions=fallbacks
)
print(f"{result.region} answered with {result.model_id}: {result.text}")
