; NSIS script for KBNN Client (64-bit, per-machine).
;
; Build (on Windows or Linux with NSIS 3), after the frozen one-folder build has landed in
; ..\dist\kbnn-client\ (kbnn-client.exe, kbnn-client-gui.exe and their _internal\ folder):
;     makensis installer/kbnn-client.nsi            -> installer/KBNNClientSetup.exe
;     makensis -DVERSION=1.2.0 installer/kbnn-client.nsi
; (installer\build.bat does both steps; installer/kbnn-client.spec makes the frozen build).
; The frozen folder holds two programs over one _internal\: kbnn-client-gui.exe (the window,
; no console: the shortcuts) and kbnn-client.exe (console: doctor, scripts, the command line).
;
; Silent install for treasury IT (see README.md):
;     KBNNClientSetup.exe /S /SERVER=https://dvc.kbnn.example.vn/api/v1
;         [/CA=\\share\kbnn-ca.pem] [/MODULE=C:\Windows\System32\vnptca_p11_v8.dll]
;         [/UNIT=1047665] [/PRESET=\\share\kbnn-client.ini] [/D=C:\Other\Folder]
; Exit codes: 0 done; 1 cancelled or failed (e.g. the app was running); 2 not a 64-bit
; Windows; 3 not run as administrator.

Unicode true
SetCompressor /SOLID lzma
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef DIST
  !define DIST "..\dist\kbnn-client"
!endif
!define APPNAME "KBNN Client"
!define EXE "kbnn-client-gui.exe"
!define CLI_EXE "kbnn-client.exe"
; Refuse a folder that is not a frozen build of this version of the spec (two programs).
; The Linux CI compiles against the Linux frozen build, whose programs have no .exe suffix:
; it passes -DNO_EXE_CHECK.
!ifndef NO_EXE_CHECK
  !if ! /FileExists "${DIST}\${EXE}"
    !error "${DIST}\${EXE} not found: build the frozen app first (installer\build.bat)"
  !endif
  !if ! /FileExists "${DIST}\${CLI_EXE}"
    !error "${DIST}\${CLI_EXE} not found: build the frozen app first (installer\build.bat)"
  !endif
!endif
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}"
; with SetShellVarContext all (set in .onInit), $APPDATA is C:\ProgramData
!define PRESET_DIR "$APPDATA\${APPNAME}"
!define PRESET_FILE "${PRESET_DIR}\kbnn-client.ini"

Name "${APPNAME}"
!ifndef OUTFILE
  !define OUTFILE "KBNNClientSetup.exe"
!endif
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APPNAME}"
InstallDirRegKey HKLM "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel admin
ShowInstDetails show
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${APPNAME} — Bảng thanh toán, ký số và gửi Kho bạc"
VIAddVersionKey /LANG=0 "LegalCopyright" "KBNN Client"

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Vietnamese"
!insertmacro MUI_LANGUAGE "English"

Var Server
Var CaFile
Var Module
Var Unit
Var Preset

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "KBNN Client cần Windows 64-bit." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  UserInfo::GetAccountType
  Pop $0
  ${If} $0 != "admin"
    MessageBox MB_ICONSTOP "Cần chạy bộ cài với quyền quản trị (Administrator)." /SD IDOK
    SetErrorLevel 3
    Quit
  ${EndIf}
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $Server
  ${GetOptions} $R0 "/CA=" $CaFile
  ${GetOptions} $R0 "/MODULE=" $Module
  ${GetOptions} $R0 "/UNIT=" $Unit
  ${GetOptions} $R0 "/PRESET=" $Preset
FunctionEnd

; The preset file the app reads before the user's own settings.ini (client/home.py
; preset_files). A new file is written as UTF-16LE with a BOM so that WriteINIStr
; (WritePrivateProfileStringW) keeps Vietnamese text intact; the app reads UTF-8,
; UTF-8 with BOM and UTF-16 presets alike.
Function WritePreset
  ${If} $Preset == ""
  ${AndIf} $Server == ""
  ${AndIf} $CaFile == ""
  ${AndIf} $Module == ""
  ${AndIf} $Unit == ""
    Return
  ${EndIf}
  CreateDirectory "${PRESET_DIR}"
  ${If} $Preset != ""
    ClearErrors
    CopyFiles /SILENT "$Preset" "${PRESET_FILE}"
    ${If} ${Errors}
      DetailPrint "Không chép được tệp cấu hình sẵn $Preset"
      SetErrorLevel 1
      Abort "Không chép được tệp cấu hình sẵn $Preset"
    ${EndIf}
  ${ElseIfNot} ${FileExists} "${PRESET_FILE}"
    FileOpen $0 "${PRESET_FILE}" w
    FileWriteWord $0 0xFEFF
    FileClose $0
  ${EndIf}
  ${If} $CaFile != ""
    ; the CA file is copied next to the preset, so the PCs do not depend on the share
    ClearErrors
    CopyFiles /SILENT "$CaFile" "${PRESET_DIR}\kbnn-ca.pem"
    ${If} ${Errors}
      SetErrorLevel 1
      Abort "Không chép được tệp chứng chỉ CA $CaFile"
    ${EndIf}
    WriteINIStr "${PRESET_FILE}" "server" "ca_file" "${PRESET_DIR}\kbnn-ca.pem"
  ${EndIf}
  ${If} $Server != ""
    WriteINIStr "${PRESET_FILE}" "server" "url" "$Server"
  ${EndIf}
  ${If} $Unit != ""
    WriteINIStr "${PRESET_FILE}" "server" "unit" "$Unit"
  ${EndIf}
  ${If} $Module != ""
    WriteINIStr "${PRESET_FILE}" "signing" "module" "$Module"
  ${EndIf}
  ; everyone reads the preset, only administrators change it (ProgramData's default ACL)
  DetailPrint "Đã ghi cấu hình sẵn: ${PRESET_FILE}"
FunctionEnd

Section "Install"
  SetRegView 64
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  ; an upgrade replaces the frozen libraries as a whole (no stale modules left behind)
  RMDir /r "$INSTDIR\_internal"
  ClearErrors
  File /r "${DIST}\*.*"
  ${If} ${Errors}
    SetErrorLevel 1
    Abort "Không ghi được tệp vào $INSTDIR (KBNN Client đang chạy?). Hãy đóng ứng dụng rồi cài lại."
  ${EndIf}
  Call WritePreset
  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\${EXE}" "gui"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME} (tập huấn).lnk" "$INSTDIR\${EXE}" "training"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\Kiểm tra máy (doctor).lnk" "$SYSDIR\cmd.exe" \
    '/k ""$INSTDIR\${CLI_EXE}" doctor"'
  CreateShortCut "$DESKTOP\${APPNAME}.lnk" "$INSTDIR\${EXE}" "gui"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "KBNN Client"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" $0
SectionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
FunctionEnd

; Uninstalling keeps every user's data (%APPDATA%\KBNN Client: database, settings, logs)
; and the preset in ProgramData: a reinstall finds them again.
Section "Uninstall"
  RMDir /r "$SMPROGRAMS\${APPNAME}"
  Delete "$DESKTOP\${APPNAME}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir /r "$INSTDIR"
  DeleteRegKey HKLM "${UNINST_KEY}"
SectionEnd
