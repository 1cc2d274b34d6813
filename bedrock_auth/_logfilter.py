"""An opt-in logging filter that masks credentials, for botocore's own DEBUG output.

At DEBUG, botocore logs whole requests and replies: ``X-Amz-Security-Token`` and
``Authorization: Bearer ...`` headers, STS bodies with ``TokenCode``/``ExternalId``, and the
``SecretAccessKey``/``SessionToken`` an AssumeRole returns. The library never attaches this
filter itself; attach it to the handlers that write botocore's records.

>>> import logging
>>> record = logging.LogRecord("botocore.endpoint", logging.DEBUG, __file__, 1,
...     "headers=%s", ({"X-Amz-Security-Token": "IQoJb3JpZ2luX2VjE" + "A" * 120},), None)
>>> RedactingFilter().filter(record), record.getMessage()
(True, "headers={'X-Amz-Security-Token': '***'}")
"""

from __future__ import annotations

import logging

from bedrock_auth._redact import redact, redact_exception

__all__ = ["RedactingFilter"]

# Formats a record's exception the way a handler's default formatter would, so that the
# text handlers reuse (record.exc_text) is the redacted one.
_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Masks secret values in every record it sees: message, arguments, exception, stack.

    The message is formatted once (``msg % args``) and redacted with
    :func:`~bedrock_auth._redact.redact`, which masks AWS-shaped secrets and every value the
    library registered as secret. It never drops a record. Attach it to a *handler*: a filter
    on a logger does not see the records its child loggers (``botocore.endpoint``,
    ``botocore.parsers``) pass up.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, as without a filter
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            redact_exception(record.exc_info[1])
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
