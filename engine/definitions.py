"""Deploying BPMN versions and keeping their parsed specs at hand."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn_xml import for_spiff, safe_parser
from engine.cron import cron_capable
from engine.errors import DeployRefused, NotFound
from engine.models import ProcessDefinition
from engine.validation import DeployOptions, ParsedDefinition, Problem, validate_bpmn
from lintel.clock import Clock


@dataclass(frozen=True)
class CompiledDefinition:
    id: int
    key: str
    version: int
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    meta: ParsedDefinition


class SpecCache:
    """Parsed specs per definition version. Versions never change, so entries never go stale."""

    def __init__(self, maxsize: int = 128) -> None:
        self._entries: OrderedDict[int, CompiledDefinition] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def get(self, definition: ProcessDefinition) -> CompiledDefinition:
        with self._lock:
            found = self._entries.get(definition.id)
            if found is not None:
                self._entries.move_to_end(definition.id)
                return found
        compiled = compile_definition(definition)
        with self._lock:
            self._entries[definition.id] = compiled
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return compiled


def compile_definition(definition: ProcessDefinition) -> CompiledDefinition:
    meta = ParsedDefinition.from_json(definition.meta)
    parser = SpiffBpmnParser()
    root = etree.fromstring(definition.bpmn_xml.encode("utf-8"), safe_parser())
    # SpiffWorkflow gets the Python deploy translated (JUEL, cron cycles) in place of the drawn texts.
    parser.add_bpmn_xml(for_spiff(root, meta.expressions), definition.filename)
    spec = parser.get_spec(definition.key)
    subprocess_specs = parser.get_subprocess_specs(definition.key)
    cron_capable([spec, *subprocess_specs.values()])
    return CompiledDefinition(
        id=definition.id,
        key=definition.key,
        version=definition.version,
        spec=spec,
        subprocess_specs=subprocess_specs,
        meta=meta,
    )


def deploy_checksum(content: bytes, options: DeployOptions) -> str:
    """What makes a deploy the same as an earlier one: the file, and the routing given with it (none: the
    file's own hash, as versions stored before routing options had)."""
    digest = hashlib.sha256(content)
    if options != DeployOptions():
        digest.update(json.dumps(options.to_json(), sort_keys=True).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class DeployResult:
    definition: ProcessDefinition | None  # None for a dry run
    key: str
    version: int
    created: bool  # False when the file equals the latest version, which is then reused
    notices: tuple[Problem, ...] = ()  # accepted, but worth telling the person deploying


class DefinitionService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        departments: Mapping[str, str],
        form_exists: Callable[[str], bool],
        functions: Collection[str],
        user_exists: Callable[[str], bool] | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.departments = departments
        self.form_exists = form_exists
        self.functions = functions
        self.user_exists = user_exists
        # Called with each newly stored version (the platform schedules its timer start events).
        self.on_deployed: Callable[[ProcessDefinition], None] | None = None

    def check(self, content: bytes, filename: str, options: DeployOptions | None = None) -> ParsedDefinition:
        parsed, problems = validate_bpmn(
            content,
            filename,
            departments=self.departments,
            form_exists=self.form_exists,
            functions=self.functions,
            options=options,
            user_exists=self.user_exists,
        )
        if problems or parsed is None:
            raise DeployRefused(problems)
        return parsed

    def deploy(
        self,
        content: bytes,
        filename: str,
        *,
        options: DeployOptions | None = None,
        actor: str | None = None,
        dry_run: bool = False,
    ) -> DeployResult:
        """Store the file as a new version of its process; the same file with the same options reuses the
        latest version."""
        parsed = self.check(content, filename, options)
        latest = self.latest_or_none(parsed.key)
        checksum = deploy_checksum(content, parsed.options)
        if latest is not None and latest.checksum == checksum:
            return DeployResult(latest, latest.key, latest.version, created=False, notices=parsed.notices)
        version = (latest.version if latest else 0) + 1
        if dry_run:
            return DeployResult(None, parsed.key, version, created=True, notices=parsed.notices)
        definition = ProcessDefinition(
            key=parsed.key,
            version=version,
            name=parsed.name,
            filename=filename.rsplit("/", 1)[-1],
            checksum=checksum,
            bpmn_xml=content.decode("utf-8"),
            meta=parsed.to_json(),
            deployed_at=self.clock.now(),
            deployed_by=actor,
        )
        self.session.add(definition)
        self.session.flush()
        if self.on_deployed is not None:
            self.on_deployed(definition)
        return DeployResult(definition, definition.key, version, created=True, notices=parsed.notices)

    def latest_or_none(self, key: str) -> ProcessDefinition | None:
        return self.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).first()

    def latest(self, key: str) -> ProcessDefinition:
        found = self.latest_or_none(key)
        if found is None:
            raise NotFound(f"no process '{key}' is deployed")
        return found

    def get(self, key: str, version: int) -> ProcessDefinition:
        found = self.session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.key == key, ProcessDefinition.version == version
            )
        ).first()
        if found is None:
            raise NotFound(f"process '{key}' has no version {version}")
        return found

    def all(self) -> list[ProcessDefinition]:
        return list(
            self.session.scalars(
                select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
            )
        )

    def latest_versions(self) -> dict[str, int]:
        rows = self.session.execute(
            select(ProcessDefinition.key, func.max(ProcessDefinition.version)).group_by(ProcessDefinition.key)
        )
        return {key: version for key, version in rows}
