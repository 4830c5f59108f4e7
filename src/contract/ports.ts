// Ports of the AMT provisioning contract (docs/amt-protocol.md section 1).

/** AMT plain HTTP (SOAP/WS-Man); Intel AMT Implementation and Reference Guide. */
export const AMT_HTTP_PORT = 16992;
/** AMT HTTPS (SOAP/WS-Man over TLS); the port the provisioning server talks to. */
export const AMT_HTTPS_PORT = 16993;
/** Hello listener on the provisioning server (MeshCentral amtprovisioningserver.js; configurable). */
export const HELLO_PORT = 9971;
