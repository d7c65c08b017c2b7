"""The request class: a body nested too deeply to decode is the client's error, not ours."""

from typing import Any

from litestar import Request

from api.core.errors import InvalidInput


class StepwiseRequest(Request[Any, Any, Any]):
    """Litestar's request, refusing JSON nested past the decoder's depth with a 400."""

    async def json(self) -> Any:
        """The decoded body; RecursionError from the decoder becomes a validation problem."""
        try:
            return await super().json()
        except RecursionError:
            raise InvalidInput(
                [{"field": "body", "reason": "is nested too deeply to read"}]
            ) from None
