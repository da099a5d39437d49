@echo off
rem Windows build of KBNN Client: the frozen one-folder app, then the installer.
rem   1. PyInstaller with installer\kbnn-client.spec  -> dist\kbnn-client\
rem        kbnn-client.exe      console program (command line, doctor, scripts)
rem        kbnn-client-gui.exe  the window (no console); the shortcuts run this one
rem        _internal\           Python, Qt, the libraries and resources\
rem   2. NSIS (makensis on PATH, or in "%ProgramFiles(x86)%\NSIS")  -> installer\KBNNClientSetup.exe
rem
rem Run from anywhere, in a 64-bit Python 3.11+ environment with the project installed:
rem     py -3.11 -m venv .venv
rem     .venv\Scripts\python -m pip install -e .[test]
rem     installer\build.bat
rem Signing the two .exe files and the setup (signtool) is not done here; see installer\README.md.
setlocal
cd /d "%~dp0.."
set "PY=%PYTHON%"
if "%PY%"=="" if exist ".venv\Scripts\python.exe" set "PY=.venv\Scripts\python.exe"
if "%PY%"=="" set "PY=python"

"%PY%" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller installer\kbnn-client.spec
if errorlevel 1 exit /b 1

"%PY%" -c "import client; print(client.__version__)" > build\pyinstaller\version.txt
if errorlevel 1 exit /b 1
set /p VERSION=<build\pyinstaller\version.txt
set "MAKENSIS=makensis"
where makensis >nul 2>nul || set "MAKENSIS=%ProgramFiles(x86)%\NSIS\makensis.exe"
"%MAKENSIS%" -DVERSION=%VERSION% installer\kbnn-client.nsi
if errorlevel 1 exit /b 1
echo Built installer\KBNNClientSetup.exe (KBNN Client %VERSION%)
endlocal
