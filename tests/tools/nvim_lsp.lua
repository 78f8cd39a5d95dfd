-- Neovim's built-in LSP client against `nestlint lsp`: open a file of the example app, wait for
-- nestlint's diagnostics, apply its quick fix through Neovim's own code, and wait for the
-- diagnostics to go. Written for Neovim 0.7 (Debian's), whose API is `vim.lsp.start_client`.
-- Run by tests/external.rs: `nvim --headless --clean -u NONE -S nvim_lsp.lua`, with NESTLINT_BIN,
-- NESTLINT_APP and NESTLINT_RESULT (where the outcome is written) in the environment.

local app = os.getenv('NESTLINT_APP')
local result_path = os.getenv('NESTLINT_RESULT')

local function finish(outcome)
  local file = io.open(result_path, 'w')
  file:write(outcome)
  file:close()
  vim.cmd('qall!')
end

local ok, err = pcall(function()
  local file = app .. '/src/orders/orders.service.ts'
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'nestlint',
    cmd = { os.getenv('NESTLINT_BIN'), 'lsp' },
    root_dir = app,
    workspace_folders = { { uri = vim.uri_from_fname(app), name = 'app' } },
  })
  assert(client_id, 'the server did not start')
  vim.lsp.buf_attach_client(bufnr, client_id)

  local function codes()
    local found = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(found, tostring(d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)))
    end
    table.sort(found)
    return table.concat(found, ',')
  end

  assert(vim.wait(20000, function() return codes() ~= '' end, 50), 'no diagnostics arrived')
  local before = codes()
  assert(before == 'valid-repository-injection', 'diagnostics: ' .. before)
  local diagnostic = vim.diagnostic.get(bufnr)[1]

  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = {
      start = { line = diagnostic.lnum, character = diagnostic.col },
      ['end'] = { line = diagnostic.end_lnum, character = diagnostic.end_col },
    },
    context = { diagnostics = {} },
  }
  local response = client.request_sync('textDocument/codeAction', params, 20000, bufnr)
  assert(response and response.result, 'no code actions: ' .. vim.inspect(response))
  local fix
  for _, action in ipairs(response.result) do
    if action.isPreferred then
      fix = action
    end
  end
  assert(fix, 'no preferred quick fix among ' .. vim.inspect(response.result))
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding or 'utf-16')
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
  assert(text:find('@InjectRepository%(Order%)'), 'the fix was not applied:\n' .. text)

  assert(vim.wait(20000, function() return codes() == '' end, 50),
    'the diagnostics did not go after the fix: ' .. codes())
  vim.lsp.stop_client(client_id)
end)

if ok then
  finish('ok')
else
  finish('failed: ' .. tostring(err))
end
