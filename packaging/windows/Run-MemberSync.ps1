<#
.SYNOPSIS
    Runs a member-sync apply from Task Scheduler, keeps the newest reports, and tells people
    when a run needs them.

.DESCRIPTION
    Task Scheduler only records a task's exit code ("last run result"); nobody sees it. This
    wrapper runs member-sync.exe, keeps its stderr in a log beside the reports, has it keep
    the reports of the newest -KeepReports runs only (--keep-reports), and turns the exit
    code into a Windows event (Application log, source "member-sync") and, with -WebhookUrl,
    a chat message (Slack or Teams incoming webhook; member-sync's own --notify, in the
    profile, says more). It exits with member-sync's own code.

    Exit codes (docs/operations.md): 0 fine; 3 rows invalid or failed; 1 could not run;
    2 usage; 4 a guard stopped it (nothing written); 5 too few rows matched;
    129/130/143 stopped.

    Once, as an administrator, so that the events have their source:
        New-EventLog -LogName Application -Source member-sync

.EXAMPLE
    powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File Run-MemberSync.ps1 `
        -Export D:\exports\people.csv -SyncProfile acme
#>
[CmdletBinding()]
param(
    # The HR export to sync from.
    [Parameter(Mandatory = $true)]
    [string] $Export,

    # The profile of member-sync.toml (%APPDATA%\member-sync\member-sync.toml, or -Config).
    [Parameter(Mandatory = $true)]
    [string] $SyncProfile,

    # The configuration file; empty: member-sync's default.
    [string] $Config = '',

    [string] $MemberSync = (Join-Path $env:ProgramFiles 'member-sync\member-sync.exe'),

    [string] $ReportDir = (Join-Path $env:ProgramData 'member-sync\reports'),

    # How many runs' reports to keep; 0 keeps them all.
    [ValidateRange(0, 100000)]
    [int] $KeepReports = 30,

    # A Slack or Teams incoming webhook: a message when a run needs attention.
    [string] $WebhookUrl = ''
)

$ErrorActionPreference = 'Stop'

# Quotes one argument the way the C runtime of member-sync.exe splits a command line.
function ConvertTo-Argument([string] $Value) {
    if ($Value -ne '' -and $Value -notmatch '[\s"]') { return $Value }
    $escaped = $Value -replace '(\\*)"', '$1$1\"' -replace '(\\+)$', '$1$1'
    return '"' + $escaped + '"'
}

# What an exit code means, and how loud to say it.
function Get-Verdict([int] $Code) {
    switch ($Code) {
        0 { return @{ Level = 'Information'; Text = 'the sync finished: every row went through' } }
        3 { return @{ Level = 'Warning'; Text = 'some rows are invalid or failed: read them in the report' } }
        4 { return @{ Level = 'Error'; Text = 'a guard stopped the run before its first write: read the plan' } }
        5 { return @{ Level = 'Error'; Text = 'too few rows matched a member: wrong file, key column or organization?' } }
        2 { return @{ Level = 'Error'; Text = 'usage error: check the task''s arguments' } }
        { $_ -in 129, 130, 143 } { return @{ Level = 'Warning'; Text = 'the run was stopped: run it again' } }
        default { return @{ Level = 'Error'; Text = 'the run could not proceed: read the log' } }
    }
}

function Send-Notice([string] $Level, [string] $Message) {
    try {
        Write-EventLog -LogName Application -Source 'member-sync' -EventId 1000 -EntryType $Level -Message $Message
    } catch {
        Write-Warning "no event written (run New-EventLog -LogName Application -Source member-sync once): $_"
    }
    if ($WebhookUrl -ne '' -and $Level -ne 'Information') {
        # {"text": ...} is what Slack and Teams incoming webhooks both accept.
        $body = @{ text = $Message } | ConvertTo-Json -Compress
        try {
            Invoke-RestMethod -Method Post -Uri $WebhookUrl -ContentType 'application/json; charset=utf-8' `
                -Body ([Text.Encoding]::UTF8.GetBytes($body)) | Out-Null
        } catch {
            Write-Warning "the webhook did not take the message: $_"
        }
    }
}

New-Item -ItemType Directory -Force -Path $ReportDir | Out-Null
$log = Join-Path $ReportDir 'member-sync-last.log'
$summary = Join-Path $ReportDir 'member-sync-last.json'

$arguments = @('apply', $Export, '--profile', $SyncProfile, '--yes', '--quiet', '--no-progress',
    '--report-dir', $ReportDir, '--summary-json', $summary)
if ($Config -ne '') { $arguments += @('--config', $Config) }
# member-sync deletes the reports of all but the newest N runs itself, after this one.
if ($KeepReports -gt 0) { $arguments += @('--keep-reports', $KeepReports) }

$commandLine = ($arguments | ForEach-Object { ConvertTo-Argument $_ }) -join ' '
$process = Start-Process -FilePath $MemberSync -ArgumentList $commandLine -NoNewWindow -PassThru `
    -RedirectStandardError $log
# Holding the handle before waiting is what keeps ExitCode readable afterwards.
$null = $process.Handle
$process.WaitForExit()
$code = $process.ExitCode

$verdict = Get-Verdict $code
$said = (Get-Content -LiteralPath $log -Tail 20 -ErrorAction SilentlyContinue) -join "`n"
$message = "member-sync $SyncProfile on $env:COMPUTERNAME exited $code`: $($verdict.Text)`n$said"
Send-Notice $verdict.Level $message
exit $code
