/**
 * The `<openSSL>` section of a node's configuration (a data node's config.d, a Keeper node's
 * keeper_config.xml), as lines indented for a child of `<clickhouse>`.
 *
 * - `server`: the node's key and certificate on every TLS port it serves (HTTPS, secure native,
 *   interserver HTTPS, Keeper's secure client port and raft). Peers are not asked for a
 *   certificate (`verificationMode` none): clients and peers authenticate with passwords and the
 *   cluster secret, and TLS protects those in transit. `caConfig` is there for Keeper's secure
 *   raft, which verifies its peers against the server section's CA.
 * - `client`: what the node verifies when it connects (to its peers, to Keeper): `strict`, against
 *   the cluster's CA. A data node also keeps the system's CAs (`loadDefaultCAFile`), since the same
 *   client settings serve its S3 disk's HTTPS; a Keeper node talks to its peers only.
 */
export function renderOpenSslConfig(
  files: { readonly key: string; readonly certificate: string; readonly ca: string },
  options: { readonly systemCasToo: boolean },
): string[] {
  const common = [
    '            <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>',
    '            <preferServerCiphers>true</preferServerCiphers>',
  ];
  return [
    '    <openSSL>',
    '        <server>',
    `            <certificateFile>${files.certificate}</certificateFile>`,
    `            <privateKeyFile>${files.key}</privateKeyFile>`,
    `            <caConfig>${files.ca}</caConfig>`,
    '            <verificationMode>none</verificationMode>',
    '            <loadDefaultCAFile>false</loadDefaultCAFile>',
    '            <cacheSessions>true</cacheSessions>',
    ...common,
    '        </server>',
    '        <client>',
    `            <caConfig>${files.ca}</caConfig>`,
    '            <verificationMode>strict</verificationMode>',
    `            <loadDefaultCAFile>${options.systemCasToo}</loadDefaultCAFile>`,
    ...common,
    '            <invalidCertificateHandler>',
    '                <name>RejectCertificateHandler</name>',
    '            </invalidCertificateHandler>',
    '        </client>',
    '    </openSSL>',
  ];
}
