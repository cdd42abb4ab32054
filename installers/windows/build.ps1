# Build Duet's Windows installer: bundle (PyInstaller) then setup.exe (Inno Setup 6).
# Run from the repository root in PowerShell:  .\installers\windows\build.ps1
# Needs Python 3.11+ (python.org, "py" launcher) and Inno Setup 6 (iscc.exe).
$ErrorActionPreference = "Stop"
if (-not (Test-Path build\venv\Scripts\python.exe)) { py -3 -m venv build\venv }
build\venv\Scripts\python -m pip install --quiet --upgrade pip
build\venv\Scripts\python -m pip install --quiet . "pyinstaller>=6.10"
$env:QT_QPA_PLATFORM = "offscreen"
build\venv\Scripts\python installers\make_icons.py
build\venv\Scripts\python -m PyInstaller --noconfirm --distpath build\dist --workpath build\pyi installers\duet.spec
# Smoke check: the console twin prints; the window opens offscreen and quits.
build\dist\duet\duet-cli.exe --version
if ($LASTEXITCODE -ne 0) { throw "duet-cli.exe --version failed" }
$data = Join-Path $env:TEMP ("duet-smoke-" + [guid]::NewGuid())
build\dist\duet\duet-cli.exe --data-dir $data --quit-after-start
if ($LASTEXITCODE -ne 0) { throw "the bundled window did not start" }
Remove-Item Env:QT_QPA_PLATFORM
$version = (Select-String -Path desktop_app\__init__.py -Pattern '__version__ = "(.*)"').Matches[0].Groups[1].Value
$iscc = Get-Command iscc -ErrorAction SilentlyContinue
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" installers\windows\duet.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
