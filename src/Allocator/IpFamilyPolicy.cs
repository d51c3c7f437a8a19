namespace BgpLb.Allocator;

/// <summary><c>spec.ipFamilyPolicy</c>.</summary>
public enum IpFamilyPolicy
{
    SingleStack,
    PreferDualStack,
    RequireDualStack,
}
