"""The app factory: routes, auth, problem+json, OpenAPI, database lifespan, request ids."""

from functools import partial

import msgspec
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from pydantic import BaseModel

from api.core.database import close_pool, open_pool
from api.core.logging import configure_logging
from api.core.settings import Settings, get_settings
from api.web.controllers import (
    calendar_feeds,
    enrolments,
    group_sessions,
    groups,
    homework,
    measures,
    modules,
    outbox,
    outcomes,
    registers,
    replies,
    risk_alerts,
    supervision,
)
from api.web.controllers.audit import AuditController
from api.web.controllers.auth import AuthController
from api.web.controllers.availability import AvailabilityController
from api.web.controllers.bookings import BookingCalendarController, BookingController
from api.web.controllers.courses import CourseController
from api.web.controllers.health import HealthController
from api.web.controllers.patients import PatientController
from api.web.controllers.rooms import RoomController, VenueRoomController
from api.web.controllers.staff import StaffController
from api.web.controllers.venues import VenueController, VenueHoursController
from api.web.openapi import finish_openapi
from api.web.problems import problem_details_plugin
from api.web.request_context import RequestContextMiddleware
from api.web.requests import StepwiseRequest
from api.web.runtime import freeze_startup_heap
from api.web.security import STAFF_AUTH_STATE, provide_actor, signed_in, staff_jwt_auth
from scheduling.jobs.scheduler import start_background_jobs, stop_background_jobs

API_VERSION = "0.1.0"
DOCS_PATH = "/schema/swagger"


def _json_by_pydantic(model: BaseModel) -> msgspec.Raw:
    # pydantic writes the JSON itself, in compiled code, and msgspec embeds it as is:
    # cheaper than Litestar's default of model_dump() to Python objects, then encoding.
    return msgspec.Raw(type(model).__pydantic_serializer__.to_json(model))


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Stepwise API."""
    settings = settings or get_settings()
    configure_logging(level=settings.service.log_level, json_lines=settings.service.is_production)
    staff_auth = staff_jwt_auth(settings)
    staff_api = Router(
        path="/api/v1",
        route_handlers=[
            AuthController,
            StaffController,
            AuditController,
            VenueController,
            VenueHoursController,
            VenueRoomController,
            RoomController,
            BookingController,
            BookingCalendarController,
            AvailabilityController,
            PatientController,
            CourseController,
            *groups.CONTROLLERS,
            *enrolments.CONTROLLERS,
            *group_sessions.CONTROLLERS,
            *calendar_feeds.CONTROLLERS,
            *registers.CONTROLLERS,
            *measures.CONTROLLERS,
            *risk_alerts.CONTROLLERS,
            *outcomes.CONTROLLERS,
            *supervision.CONTROLLERS,
            *modules.CONTROLLERS,
            *homework.CONTROLLERS,
            *outbox.CONTROLLERS,
            *replies.CONTROLLERS,
        ],
        guards=[signed_in],
        dependencies={"actor": Provide(provide_actor)},
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            staff_api,
            *calendar_feeds.PUBLIC_CONTROLLERS,
            *replies.PUBLIC_CONTROLLERS,
        ],
        on_app_init=[staff_auth.on_app_init],
        plugins=[problem_details_plugin()],
        request_class=StepwiseRequest,
        state=State({STAFF_AUTH_STATE: staff_auth}),
        openapi_config=OpenAPIConfig(
            title="Stepwise",
            version=API_VERSION,
            description="Group psychoeducation courses for stepped-care talking therapies.",
            path="/schema",
            render_plugins=[JsonRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            create_examples=False,
        ),
        # Background jobs only when STEPWISE_SCHEDULER_ENABLED (serve and demo turn it on).
        on_startup=[
            partial(open_pool, settings.database),
            start_background_jobs,
            freeze_startup_heap,
        ],
        on_shutdown=[stop_background_jobs, close_pool],
        request_max_body_size=settings.service.max_body_bytes,
        type_encoders={BaseModel: _json_by_pydantic},
        logging_config=None,
        debug=False,
    )
    app.asgi_handler = RequestContextMiddleware(
        app.asgi_handler, access_log=settings.service.access_log
    )
    finish_openapi(app)
    return app
