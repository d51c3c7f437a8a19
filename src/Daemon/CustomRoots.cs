using System.Security.Cryptography.X509Certificates;

namespace BgpLb.Daemon;

/// <summary>
/// Whether a peer's certificate chains to roots an operator gave (a kubeconfig's CA, the admin API's client CA),
/// those roots only: a certificate from any public CA the system trusts must not count.
/// </summary>
internal static class CustomRoots
{
    /// <param name="presented">The chain the TLS stack built from what the peer sent: its intermediates are used, its verdict is not.</param>
    public static bool Chains(X509Certificate2 certificate, X509Certificate2Collection roots, X509Chain? presented = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(certificate);
    }
}
