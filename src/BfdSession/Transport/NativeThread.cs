using System.Runtime.InteropServices;

namespace BgpLb.BfdSession.Transport;

/// <summary>
/// Raises the calling thread's scheduling class on Linux so that, on a machine whose cores are all
/// busy, a BFD timer or receive thread that wakes runs at once instead of waiting its CFS turn
/// behind every runnable thread (a 10 ms session has 30 ms before the peer declares it down).
/// SCHED_FIFO when permitted (root / CAP_SYS_NICE), else nice -10 (also privileged), else unchanged.
/// The threads it is used on sleep almost all the time and run short callbacks.
/// </summary>
internal static partial class NativeThread
{
    private const int SchedFifo = 1;
    private const int PrioProcess = 0;

    /// <summary>Low among real-time priorities: above every normal thread, below kernel helpers that use higher ones.</summary>
    private const int FifoPriority = 10;

    private const int RaisedNice = -10;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref int priority);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int priority);

    [LibraryImport("libc")]
    private static partial int gettid();

    /// <summary>What the calling thread got.</summary>
    public static ThreadScheduling RaiseCurrent()
    {
        if (!OperatingSystem.IsLinux())
        {
            return ThreadScheduling.Normal;
        }
        var priority = FifoPriority;
        if (sched_setscheduler(0, SchedFifo, ref priority) == 0)
        {
            return ThreadScheduling.RealTime;
        }
        return setpriority(PrioProcess, gettid(), RaisedNice) == 0 ? ThreadScheduling.RaisedNice : ThreadScheduling.Normal;
    }
}

/// <summary>The scheduling a BFD thread obtained (see <see cref="NativeThread"/>).</summary>
public enum ThreadScheduling
{
    Normal,
    RaisedNice,
    RealTime,
}
