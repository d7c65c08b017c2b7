"""Demo materials: six modules (one in Welsh, one easy read) and six forms, published, once."""

from datetime import UTC, datetime

from api.demo_materials import MODULE_SLUGS, load_demo_materials
from materials.forms import BUILT_IN_SLUGS
from materials.tables import HomeworkForm, HomeworkFormVersion, Module, ModuleVersion

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_demo_materials_publish_every_slug_the_demo_plans_name_once(database: None) -> None:
    assert await load_demo_materials(now=NOW) is True
    assert await load_demo_materials(now=NOW) is False

    assert sorted(row["slug"] for row in await Module.select(Module.slug)) == sorted(MODULE_SLUGS)
    assert sorted(row["slug"] for row in await HomeworkForm.select(HomeworkForm.slug)) == sorted(
        BUILT_IN_SLUGS
    )
    versions = await ModuleVersion.select(
        ModuleVersion.module.slug.as_alias("slug"),
        ModuleVersion.language,
        ModuleVersion.variant,
        ModuleVersion.status,
        ModuleVersion.body_html,
    )
    assert {row["status"] for row in versions} == {"published"}
    assert len(versions) == 8
    assert {
        (row["language"], row["variant"])
        for row in versions
        if row["slug"] == "understanding-worry"
    } == {("en", "standard"), ("cy", "standard"), ("en", "easy_read")}
    assert all(row["body_html"].startswith("<h1>") for row in versions)
    assert await HomeworkFormVersion.count().where(HomeworkFormVersion.status == "published") == 6
