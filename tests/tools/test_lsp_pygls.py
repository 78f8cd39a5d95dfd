"""nestlint's language server driven by a real LSP client library: pygls 2 through pytest-lsp,
with the capabilities VS Code declares (diagnostics pulled, UTF-16 positions).

Run by tests/external.rs with NESTLINT_BIN (the binary under test) and NESTLINT_APP (a scratch
copy of examples/shop-api), in a virtual environment under the target directory.
"""

import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

BINARY = os.environ["NESTLINT_BIN"]
APP = pathlib.Path(os.environ["NESTLINT_APP"]).resolve()
SERVICE = APP / "src/orders/orders.service.ts"
CONTROLLER = APP / "src/users/users.controller.ts"
MODULE = APP / "src/users/users.module.ts"
CONFIG = APP / "nestlint.toml"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BINARY, "lsp"]))
async def client(lsp_client: LanguageClient):
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params):
        return None

    @lsp_client.feature(types.WORKSPACE_WORKSPACE_FOLDERS)
    def folders(params):
        return [types.WorkspaceFolder(uri=APP.as_uri(), name="app")]

    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=APP.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=APP.as_uri(), name="app")]))
    yield
    await lsp_client.shutdown_session()


def open_document(client, path, version=1):
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(
            uri=path.as_uri(), language_id="typescript", version=version, text=path.read_text())))


def change(client, path, version, text):
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def pulled(client, path):
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    return report.items


def codes(diagnostics):
    return sorted(str(d.code) for d in diagnostics)


def apply(text, edits):
    lines = text.splitlines(keepends=True)

    def offset(position):
        return sum(len(line) for line in lines[:position.line]) + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


@pytest.mark.asyncio
async def test_diagnostics_fixes_suppressions_hover_and_other_files(client: LanguageClient):
    open_document(client, SERVICE)
    items = await pulled(client, SERVICE)
    assert codes(items) == ["valid-repository-injection"]
    # Indexing the folder was reported as progress: begun, then ended.
    reports = [report for reports in client.progress_reports.values() for report in reports]
    assert [r.kind for r in reports] == ["begin", "end"], reports
    finding = items[0]
    assert finding.source == "nestlint"
    assert finding.code_description.href.endswith("docs/rules/valid-repository-injection.md")

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=SERVICE.as_uri()),
        range=finding.range,
        context=types.CodeActionContext(diagnostics=[finding])))
    titles = [a.title for a in actions]
    assert any("InjectRepository" in t for t in titles), titles
    assert "Suppress valid-repository-injection for this line" in titles
    assert "Suppress valid-repository-injection for this file" in titles
    fix = next(a for a in actions if "InjectRepository" in a.title)
    assert fix.is_preferred
    text = SERVICE.read_text()
    fixed = apply(text, fix.edit.changes[SERVICE.as_uri()])
    change(client, SERVICE, 2, fixed)
    assert codes(await pulled(client, SERVICE)) == []

    change(client, SERVICE, 3, text)
    suppress = next(a for a in actions if a.title.endswith("for this file"))
    change(client, SERVICE, 4, apply(text, suppress.edit.changes[SERVICE.as_uri()]))
    assert codes(await pulled(client, SERVICE)) == []

    change(client, SERVICE, 5, text)
    fix_all = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=SERVICE.as_uri()),
        range=types.Range(start=types.Position(line=0, character=0),
                          end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.nestlint"])))
    assert [a.kind for a in fix_all] == ["source.fixAll.nestlint"]
    assert "@InjectRepository(Order)" in apply(text, fix_all[0].edit.changes[SERVICE.as_uri()])

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=SERVICE.as_uri()),
        position=finding.range.start))
    assert hover.contents.value.startswith("# valid-repository-injection")

    # Another file, edited in the editor and saved: the open controller's finding, which depends
    # on it, goes (with the edit, before the save), and comes back when the edit is undone.
    open_document(client, CONTROLLER)
    assert "resolvable-dependencies" in codes(await pulled(client, CONTROLLER))
    module_text = MODULE.read_text()
    mended = (module_text
              .replace("import { Module }", "import { JwtModule } from '@nestjs/jwt';\nimport { Module }")
              .replace("@Module({ controllers", "@Module({ imports: [JwtModule.register({})], controllers"))
    open_document(client, MODULE)
    change(client, MODULE, 2, mended)
    assert "resolvable-dependencies" not in codes(await pulled(client, CONTROLLER))
    change(client, MODULE, 3, module_text)
    assert "resolvable-dependencies" in codes(await pulled(client, CONTROLLER))
    change(client, MODULE, 4, mended)
    MODULE.write_text(mended)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=MODULE.as_uri())))
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=MODULE.as_uri())))
    assert "resolvable-dependencies" not in codes(await pulled(client, CONTROLLER))

    # A file changed on disk and announced as editors do: undone there, the finding returns.
    MODULE.write_text(module_text)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=MODULE.as_uri(), type=types.FileChangeType.Changed)]))
    assert "resolvable-dependencies" in codes(await pulled(client, CONTROLLER))

    # A request the server does not know is an error, not the end of the server (malformed
    # parameters, which this client cannot send, are checked by tests/lsp.rs).
    with pytest.raises(JsonRpcException):
        await client.protocol.send_request_async("nestlint/unknown", {"nonsense": True})
    assert codes(await pulled(client, SERVICE)) == ["valid-repository-injection"]


@pytest.mark.asyncio
async def test_configuration_errors_are_shown_and_a_reload_recovers(client: LanguageClient):
    open_document(client, SERVICE)
    assert codes(await pulled(client, SERVICE)) == ["valid-repository-injection"]
    CONFIG.write_text('[rules]\nno-such-rule = "error"\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=CONFIG.as_uri(), type=types.FileChangeType.Created)]))
    assert codes(await pulled(client, SERVICE)) == []
    assert any("no-such-rule" in m.message for m in client.messages), client.messages
    CONFIG.write_text('[rules]\nvalid-repository-injection = "warn"\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=CONFIG.as_uri(), type=types.FileChangeType.Changed)]))
    items = await pulled(client, SERVICE)
    assert codes(items) == ["valid-repository-injection"]
    assert items[0].severity == types.DiagnosticSeverity.Warning
    CONFIG.unlink()
