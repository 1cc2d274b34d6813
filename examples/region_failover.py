"""Fail over to other regions when one is throttled or unavailable.

    python examples/region_failover.py us-east-1 us-west-2

The same model id is resolved for each region (us. / eu. / apac. inference profiles).
"""

import sys

from bedrock_auth import converse

regions = sys.argv[1:] or ["us-east-1", "us-west-2"]
result = converse("claude-sonnet-4-5", "Which region answered?", regions=regions)
print(f"{result.region} answered with {result.model_id}: {result.text}")
