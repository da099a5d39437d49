; NSIS script for KBNN Client (64-bit, per-machine). Build after the frozen
; one-folder build lands in ..\dist\kbnn-client\ :  makensis kbnn-client.nsi
Unicode true
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!define APPNAME "KBNN Client"
!define EXE "kbnn-client.exe"
Name "${APPNAME}"
OutFile "KBNNClientSetup.exe"
InstallDir "$PROGRAMFILES64\${APPNAME}"
RequestExecutionLevel admin

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Vietnamese"
!insertmacro MUI_LANGUAGE "English"

Var Preset

Section "Install"
  SetRegView 64
  SetOutPath "$INSTDIR"
  File /r "..\dist\kbnn-client\*.*"
  ; /PRESET=path copies a treasury IT preset into ProgramData
  ${GetParameters} $0
  ${GetOptions} $0 "/PRESET=" $Preset
  ${If} $Preset != ""
    CreateDirectory "$COMMONAPPDATA\${APPNAME}"
    CopyFiles /SILENT "$Preset" "$COMMONAPPDATA\${APPNAME}\kbnn-client.ini"
  ${EndIf}
  CreateShortCut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\${EXE}"
  CreateShortCut "$SMPROGRAMS\${APPNAME} (tập huấn).lnk" "$INSTDIR\${EXE}" "training"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}" "DisplayName" "${APPNAME}"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}" "UninstallString" "$INSTDIR\uninstall.exe"
SectionEnd

Section "Uninstall"
  SetRegView 64
  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  Delete "$SMPROGRAMS\${APPNAME} (tập huấn).lnk"
  RMDir /r "$INSTDIR"
  DeleteRegKey HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}"
SectionEnd
