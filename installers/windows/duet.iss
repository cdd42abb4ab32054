; Inno Setup 6 script for Duet: a per-user install (no administrator rights needed).
;
; Build on Windows, from the repository root, after the bundle exists in build\dist\duet
; (see installers\README.md or run installers\windows\build.ps1):
;     iscc /DAppVersion=0.1.0 installers\windows\duet.iss
; Writes build\Duet-<version>-setup.exe.
;
; Uninstalling removes the program. The shop's data (%LOCALAPPDATA%\Duet: database,
; backups, test outbox, logs) stays unless the owner ticks "yes" when asked; a silent
; uninstall always keeps it. Saved passwords live in Windows Credential Manager under
; "Duet" and are never touched by the installer.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Duet"
#define AppExe "duet.exe"
#define Root "..\.."

[Setup]
AppId={{6B1E3C52-5D2A-4C57-9E61-2F0D8A4B7C11}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Duet
VersionInfoVersion={#AppVersion}
; Per-user: {autopf} becomes %LOCALAPPDATA%\Programs when running without admin rights.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\build
OutputBaseFilename=Duet-{#AppVersion}-setup
SetupIconFile={#Root}\build\icons\duet.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Duet keeps files open while running; Restart Manager asks it to close first.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\build\dist\duet\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Send each customer an SMS that points to a fuller email"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Files Duet itself may leave inside its program folder (none expected; keeps the
; folder from lingering after an uninstall).
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
// platformdirs puts Duet's data in %LOCALAPPDATA%\Duet\Duet and its logs below it.
function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\Duet');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataFolder()) then
  begin
    if UninstallSilent() then
      Exit;
    if MsgBox('Duet is uninstalled. Your customers, templates, history and backups are still in:'
        + #13#10 + DataFolder() + #13#10#13#10
        + 'Do you also want to delete them? This cannot be undone.',
        mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      DelTree(DataFolder(), True, True, True);
  end;
end;
