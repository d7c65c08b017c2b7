"""Parameters and answers every staff controller shares: If-Match, page size, ETags."""

from typing import Annotated, Protocol, TypeVar

from litestar import Response
from litestar.params import HeaderParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.core.schemas import MAX_PAGE_SIZE
from api.web.etags import etag

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description='The ETag you read, e.g. "v3".'),
]
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]


class Versioned(Protocol):
    """A read model with the row version its ETag names."""

    @property
    def version(self) -> int:
        """The row's version."""
        ...


VersionedT = TypeVar("VersionedT", bound=Versioned)


def with_etag(model: VersionedT, status_code: int = HTTP_200_OK) -> Response[VersionedT]:
    """The model, with its ETag for a later edit's If-Match."""
    return Response(model, status_code=status_code, headers={"ETag": etag(model.version)})
