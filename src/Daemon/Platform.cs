// The daemon is Linux only: TCP MD5 and GTSM socket options, fsync of folders through libc, unix
// socket modes for the admin API. Saying so lets the platform analyzer check every call against it.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
