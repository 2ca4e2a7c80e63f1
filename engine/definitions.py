"""Deploying BPMN versions and keeping their parsed specs at hand."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, undefer

from engine.bpmn_xml import for_spiff, safe_parser
from engine.bundle import CheckedBundle, FormKeys, check_bundle
from engine.bundle_files import base_name, called_elements, runnable, single_decisions
from engine.cron import cron_capable
from engine.errors import DeployRefused, NotFound
from engine.models import DefinitionFile, ProcessDefinition
from engine.validation import DeployOptions, ParsedDefinition, Problem
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
    """Every BPMN and DMN file of the version in one parser, so call activities and business rule tasks
    resolve across the files of one deploy."""
    files = stored_files(definition, with_content=True)
    bpmn = [
        (etree.fromstring(f.content.encode("utf-8"), safe_parser()), f.filename)
        for f in files
        if f.kind == "bpmn"
    ]
    if not bpmn:  # a version stored without its files
        bpmn = [(_xml(definition.bpmn_xml), definition.filename)]
    called = set().union(*(called_elements(root) for root, _ in bpmn))
    meta = ParsedDefinition.from_json(definition.meta)
    parser = SpiffBpmnParser()
    for root, filename in bpmn:
        parser.add_bpmn_xml(for_spiff(runnable(root, called), meta.expressions), filename)
    for f in files:
        if f.kind == "dmn":
            for decision in single_decisions(_xml(f.content)):
                parser.add_dmn_xml(decision, f.filename)
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


def _xml(text: str) -> Any:
    return etree.fromstring(text.encode("utf-8"), safe_parser())


def stored_files(definition: ProcessDefinition, *, with_content: bool = False) -> list[DefinitionFile]:
    """The files deployed with a version, the main BPMN file first."""
    session = object_session(definition)
    if session is None or definition.id is None:
        return []
    query = (
        select(DefinitionFile)
        .where(DefinitionFile.definition_id == definition.id)
        .order_by(DefinitionFile.main.desc(), DefinitionFile.id)
    )
    if with_content:
        query = query.options(undefer(DefinitionFile.content))
    return list(session.scalars(query))


Files = Sequence[tuple[str, bytes]]


def deploy_checksum(files: bytes | Files, options: DeployOptions) -> str:
    """What makes a deploy the same as an earlier one: its files (the main one first) and the routing given
    with them. A lone file without options hashes to the file's own hash, as versions stored before bundles
    and routing options had."""
    if isinstance(files, bytes):
        files = [("", files)]
    digest = hashlib.sha256(files[0][1] if files else b"")
    for name, content in sorted((base_name(n), c) for n, c in files[1:]):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + hashlib.sha256(content).digest())
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
        form_keys: FormKeys | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.departments = departments
        self.form_exists = form_exists
        self.functions = functions
        self.user_exists = user_exists
        # Reads a deployed form file: the form keys it gives (the forms layer, passed in by the platform).
        self.form_keys = form_keys
        # Called with each newly stored version (the platform schedules its timer start events).
        self.on_deployed: Callable[[ProcessDefinition], None] | None = None

    def check(
        self, files: bytes | Files, filename: str | None = None, options: DeployOptions | None = None
    ) -> ParsedDefinition:
        return self.check_bundle(files, filename, options).parsed

    def check_bundle(
        self, files: bytes | Files, filename: str | None = None, options: DeployOptions | None = None
    ) -> CheckedBundle:
        """Check a deploy: a list of (file name, content), or one file's content and its name."""
        if isinstance(files, bytes | str):
            content = files.encode("utf-8") if isinstance(files, str) else files
            files = [(filename or "upload.bpmn", content)]
        checked, problems = check_bundle(
            files,
            departments=self.departments,
            form_exists=self.form_exists,
            functions=self.functions,
            options=options,
            user_exists=self.user_exists,
            form_keys=self.form_keys,
        )
        if problems or checked is None:
            raise DeployRefused(problems)
        return checked

    def deploy(
        self,
        files: bytes | Files,
        filename: str | None = None,
        *,
        options: DeployOptions | None = None,
        actor: str | None = None,
        dry_run: bool = False,
        note: str | None = None,
    ) -> DeployResult:
        """Store a deploy (its main BPMN file, the BPMN files its call activities reach, its DMN tables and
        forms) as a new version of its process; the same files with the same options reuse the latest
        version. `files` is a list of (file name, content), or one file's content with `filename`; `note`
        is the change note kept with a new version."""
        checked = self.check_bundle(files, filename, options)
        parsed = checked.parsed
        latest = self.latest_or_none(parsed.key)
        checksum = deploy_checksum([(f.filename, f.content) for f in checked.files], parsed.options)
        if latest is not None and latest.checksum == checksum:
            return DeployResult(latest, latest.key, latest.version, created=False, notices=parsed.notices)
        version = (latest.version if latest else 0) + 1
        if dry_run:
            return DeployResult(None, parsed.key, version, created=True, notices=parsed.notices)
        main = checked.files[0]
        definition = ProcessDefinition(
            key=parsed.key,
            version=version,
            name=parsed.name,
            filename=main.filename,
            checksum=checksum,
            bpmn_xml=main.content.decode("utf-8"),
            meta=parsed.to_json(),
            deployed_at=self.clock.now(),
            deployed_by=actor,
            change_note=(note or "").strip() or None,
        )
        self.session.add(definition)
        self.session.flush()
        for f in checked.files:
            self.session.add(
                DefinitionFile(
                    definition_id=definition.id,
                    filename=f.filename,
                    kind=f.kind,
                    main=f.main,
                    content=f.content.decode("utf-8"),
                )
            )
        self.session.flush()
        if self.on_deployed is not None:
            self.on_deployed(definition)
        return DeployResult(definition, definition.key, version, created=True, notices=parsed.notices)

    def deployed_files(self, definition: ProcessDefinition) -> list[tuple[str, bytes]]:
        """A version's files as a deploy takes them, the main diagram first."""
        return [(f.filename, f.content.encode("utf-8")) for f in stored_files(definition, with_content=True)]

    def roll_back(self, definition: ProcessDefinition, *, actor: str | None, note: str) -> DeployResult:
        """Deploy an earlier version's files and routing again, as a new version; instances started on the
        versions between keep them. When the latest version already equals it, nothing is stored."""
        files = self.deployed_files(definition) or [
            (definition.filename, definition.bpmn_xml.encode("utf-8"))
        ]
        options = ParsedDefinition.from_json(definition.meta).options
        return self.deploy(files, options=options, actor=actor, note=note)

    def files(self, definition: ProcessDefinition, *, with_content: bool = False) -> list[DefinitionFile]:
        return stored_files(definition, with_content=with_content)

    def file(self, definition: ProcessDefinition, filename: str) -> DefinitionFile:
        found = self.session.scalars(
            select(DefinitionFile)
            .options(undefer(DefinitionFile.content))
            .where(DefinitionFile.definition_id == definition.id, DefinitionFile.filename == filename)
        ).first()
        if found is None:
            raise NotFound(f"version {definition.version} of '{definition.key}' has no file '{filename}'")
        return found

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
