using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BgpLb.Daemon.Tests.Cluster;

/// <summary>A test certificate authority (ECDSA P-256) that issues server and client certificates with their keys.</summary>
internal sealed record TestAuthority(X509Certificate2 Certificate, ECDsa Key)
{
    public static TestAuthority Create(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return new TestAuthority(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)), key);
    }

    /// <summary>A leaf signed by this authority, with its private key; <paramref name="names"/> become DNS or IP SANs.</summary>
    public (X509Certificate2 Certificate, ECDsa Key) Issue(string subject, bool server, params string[] names)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                sans.AddIpAddress(ip);
            }
            else
            {
                sans.AddDnsName(name);
            }
        }
        if (names.Length > 0)
        {
            request.CertificateExtensions.Add(sans.Build());
        }
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        using var signed = request.Create(Certificate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(8));
        return (signed.CopyWithPrivateKey(key), key);
    }
}
