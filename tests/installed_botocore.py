"""Facts the installed botocore decides, read from it while the tests run.

botocore's service models, retry policy and refresh windows change between releases (1.44.18
raised STS ``SourceIdentity``'s maximum from 64 to 256), so a test never writes one of them
down: it asks here, and checks the library against whatever botocore is installed. Facts the
library decides itself (its defaults, its messages) stay literal in the tests.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ParamValidationError
from botocore.model import OperationModel, ServiceModel
from botocore.retries.standard import RetryContext, StandardRetryConditions
from botocore.validate import validate_parameters

#: botocore's refresh windows (seconds before expiry): one thread refreshes once less than the
#: advisory window is left, every thread waits for it inside the mandatory one.
ADVISORY_WINDOW = float(RefreshableCredentials._advisory_refresh_timeout)
MANDATORY_WINDOW = float(RefreshableCredentials._mandatory_refresh_timeout)


@functools.cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


def sts_member(operation_name: str, member: str) -> Any:
    """The shape of ``member`` in the input of the STS operation."""
    return operation("sts", operation_name).input_shape.members[member]


def sts_max(operation_name: str, member: str) -> int:
    """The maximum of ``member`` in the STS operation's input: a length, or a value."""
    return int(sts_member(operation_name, member).metadata["max"])


def sts_range(operation_name: str, member: str) -> tuple[int, int]:
    """(min, max) of ``member`` in the STS operation's input: a length, or a value."""
    return int(sts_member(operation_name, member).metadata["min"]), sts_max(operation_name, member)


def sts_members(operation_name: str) -> set[str]:
    return set(operation("sts", operation_name).input_shape.members)


def validation_report(operation_name: str, params: dict[str, Any], naming: str) -> str:
    """The line of botocore's own ``validate_parameters`` report on ``params`` (against the STS
    operation's input) that names ``naming``: its wording is botocore's, not the library's."""
    try:
        validate_parameters(params, operation("sts", operation_name).input_shape)
    except ParamValidationError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if naming in line]
        if len(lines) == 1:
            return lines[0]
        raise AssertionError(f"botocore reports {len(lines)} lines naming {naming}: {exc}") from exc
    raise AssertionError(f"botocore accepts {params} for sts {operation_name}")


def modelled_status(service: str, code: str) -> int | None:
    """The HTTP status botocore's model of ``service`` gives the error ``code``, if it has one."""
    model = service_model(service)
    for name in model.shape_names:
        shape = model.shape_for(name)
        error = shape.metadata.get("error", {}) if shape.metadata.get("exception") else {}
        if error.get("code", name) == code and "httpStatusCode" in error:
            return int(error["httpStatusCode"])
    return None


def retried(
    code: str, status: int, operation_name: str = "Converse", service: str = "bedrock-runtime"
) -> bool:
    """Whether botocore's standard retry mode retries an error reply (``code``, HTTP ``status``)
    to ``operation_name``: its generic rules and the operation's modelled retryable errors."""
    context = RetryContext(
        attempt_number=1,
        operation_model=operation(service, operation_name),
        parsed_response={"Error": {"Code": code}},
        http_response=AWSResponse("https://example.invalid", status, {}, None),
    )
    return bool(StandardRetryConditions(max_attempts=2).is_retryable(context))
