"""A patient's measure sets as a FHIR R4 Bundle, for a service's record system.

One QuestionnaireResponse per measure set (items LOINC-linked where codes exist; a blank
paper item has no answer) and one Observation per total (LOINC-coded where a code exists,
derived from its QuestionnaireResponse, noted when prorated). A set with more than two
blank items has no total and so no Observation. Built as plain JSON; the tests validate it
with the ``fhir.resources`` R4B models.
"""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from api.core.actor import Actor
from groups.measures import HistoryEntry, patient_history
from groups.rules.instruments import Instrument, instrument

LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
QUESTIONNAIRE_BASE = "https://stepwise.example/fhir/Questionnaire/"
# Observation ids derive from their measure set's, so an export is stable across calls.
_OBSERVATION_NAMESPACE = UUID("0d5f3b8e-6a51-4c1e-9c55-2f0f7c1d9a10")


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _questionnaire(definition: Instrument) -> str:
    if definition.loinc_panel:
        return f"{LOINC}/q/{definition.loinc_panel}"
    return QUESTIONNAIRE_BASE + definition.code.lower()


def _link_id(definition: Instrument, number: int) -> str:
    item = definition.items[number - 1]
    return item.loinc or f"{definition.code.lower()}-{number}"


def _response(entry: HistoryEntry, patient_ref: str) -> dict[str, Any]:
    stored = entry.measure_set
    definition = instrument(stored.instrument)
    items = []
    for number, answer in enumerate(stored.answers, start=1):
        item: dict[str, Any] = {
            "linkId": _link_id(definition, number),
            "text": definition.items[number - 1].text,
        }
        if answer is not None:
            item["answer"] = [{"valueInteger": answer}]
        items.append(item)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(stored.id),
        "questionnaire": _questionnaire(definition),
        "status": "completed",
        "subject": {"reference": patient_ref},
        "authored": _instant(stored.updated_at),
        "item": items,
    }


def _observation(entry: HistoryEntry, patient_ref: str, observation_id: UUID) -> dict[str, Any]:
    stored = entry.measure_set
    definition = instrument(stored.instrument)
    coding = (
        [{"system": LOINC, "code": definition.loinc_total, "display": f"{definition.code} total"}]
        if definition.loinc_total
        else []
    )
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(observation_id),
        "status": "amended" if stored.version > 1 else "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {"coding": coding, "text": f"{definition.name} total score"},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": _instant(entry.session_starts_at),
        "valueInteger": stored.total,
        "derivedFrom": [{"reference": f"urn:uuid:{stored.id}"}],
    }
    if stored.band is not None:
        observation["interpretation"] = [{"text": stored.band}]
    if stored.prorated:
        observation["note"] = [
            {"text": f"Prorated: {stored.blank_items} blank item(s) took the answered mean."}
        ]
    if not coding:
        del observation["code"]["coding"]
    return observation


async def patient_bundle(patient_id: UUID, *, by: Actor, now: datetime) -> dict[str, Any]:
    """The Bundle (type collection) of every measure set of the patient."""
    history = await patient_history(patient_id, by=by, now=now)
    patient_ref = f"Patient/{patient_id}"
    entries: list[dict[str, Any]] = []
    for entry in history:
        stored = entry.measure_set
        entries.append(
            {"fullUrl": f"urn:uuid:{stored.id}", "resource": _response(entry, patient_ref)}
        )
        if stored.total is not None:
            observation_id = uuid5(_OBSERVATION_NAMESPACE, str(stored.id))
            entries.append(
                {
                    "fullUrl": f"urn:uuid:{observation_id}",
                    "resource": _observation(entry, patient_ref, observation_id),
                }
            )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(now),
    }
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle
