// The WS-Man bodies we write ourselves, and a sample of the wsman-messages ones we rely on,
// checked through a real XML parser: well-formed, right action, resource URI and selectors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AMT, CIM, IPS } from '@device-management-toolkit/wsman-messages';
import { child, children, parseDeviceXml, path, text, type XmlNode } from '../../../src/amt/deviceXml';
import {
  deleteAllItProfiles, enumerateAmtClass, publicKeyCertificateReference, pullAmtClass, putKerberosSettingData, setPowerScheme, webUiRequestStateChange,
} from '../../../src/amt/wsmanBuilders';
import { returnValueName } from '../../../src/amt/wsmanClient';

const AMT_URI = 'http://intel.com/wbem/wscim/1/amt-schema/1/';

function envelope(xml: string): { header: XmlNode; body: XmlNode } {
  const document = parseDeviceXml(xml, 'builder');
  return { header: path(document, 'Envelope', 'Header') as XmlNode, body: path(document, 'Envelope', 'Body') as XmlNode };
}

function selectors(header: XmlNode): Record<string, string | undefined> {
  return Object.fromEntries(children(child(header, 'SelectorSet'), 'Selector').map((selector) => [(selector as XmlNode)['@Name'] as string, text(selector)]));
}

void describe('wsmanBuilders', () => {
  const creator = new AMT.Messages().wsmanMessageCreator;

  void it('AMT_WebUIService.RequestStateChange', () => {
    const { header, body } = envelope(webUiRequestStateChange(creator, 2));
    assert.equal(text(child(header, 'Action')), `${AMT_URI}AMT_WebUIService/RequestStateChange`);
    assert.equal(text(child(header, 'ResourceURI')), `${AMT_URI}AMT_WebUIService`);
    assert.equal(text(path(body, 'RequestStateChange_INPUT', 'RequestedState')), '2');
  });

  void it('AMT_SystemPowerScheme.SetPowerScheme selects the scheme by InstanceID (escaped)', () => {
    const { header, body } = envelope(setPowerScheme(creator, 'Intel(r) AMT Power Scheme <5>'));
    assert.equal(text(child(header, 'Action')), `${AMT_URI}AMT_SystemPowerScheme/SetPowerScheme`);
    assert.equal(text(child(header, 'ResourceURI')), `${AMT_URI}AMT_SystemPowerScheme`);
    assert.deepEqual(selectors(header), { InstanceID: 'Intel(r) AMT Power Scheme <5>' });
    assert.ok(child(body, 'SetPowerScheme_INPUT') !== undefined);
  });

  void it('AMT_WiFiPortConfigurationService.DeleteAllITProfiles', () => {
    const { header, body } = envelope(deleteAllItProfiles(creator));
    assert.equal(text(child(header, 'Action')), `${AMT_URI}AMT_WiFiPortConfigurationService/DeleteAllITProfiles`);
    assert.ok(child(body, 'DeleteAllITProfiles_INPUT') !== undefined);
  });

  void it('AMT_KerberosSettingData Put: WS-Transfer Put, InstanceID selector, every property in MOF order', () => {
    const xml = putKerberosSettingData(creator, {
      InstanceID: 'Intel (r) AMT: Kerberos Settings', RealmName: 'AMT.TEST', ServicePrincipalName: ['HTTP/pc.amt.test:16992', 'HTTP/pc.amt.test:16993'],
      ServicePrincipalProtocol: [0, 1], KeyVersion: 3, EncryptionAlgorithm: 0, MasterKey: Buffer.alloc(16, 7).toString('base64'),
      MaximumClockTolerance: 5, KrbEnabled: true,
    });
    const { header, body } = envelope(xml);
    assert.equal(text(child(header, 'Action')), 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put');
    assert.equal(text(child(header, 'ResourceURI')), `${AMT_URI}AMT_KerberosSettingData`);
    assert.deepEqual(selectors(header), { InstanceID: 'Intel (r) AMT: Kerberos Settings' });
    const settings = child(body, 'AMT_KerberosSettingData') as XmlNode;
    assert.deepEqual(Object.keys(settings).filter((key) => !key.startsWith('@')), [
      'InstanceID', 'RealmName', 'ServicePrincipalName', 'ServicePrincipalProtocol', 'KeyVersion', 'EncryptionAlgorithm', 'MasterKey', 'MaximumClockTolerance', 'KrbEnabled',
    ]);
    assert.deepEqual(children(settings, 'ServicePrincipalName').map((value) => text(value)), ['HTTP/pc.amt.test:16992', 'HTTP/pc.amt.test:16993']);
    assert.equal(text(child(settings, 'MasterKey')), Buffer.alloc(16, 7).toString('base64'));
  });

  void it('IPS_IEEE8021xSettings.SetCertificates carries endpoint references to AMT_PublicKeyCertificate', () => {
    const { body } = envelope(new IPS.Messages().IEEE8021xSettings.SetCertificates(publicKeyCertificateReference('Intel(r) AMT Certificate: Handle: 2'), publicKeyCertificateReference('H&3')));
    const input = child(body, 'SetCertificates_INPUT');
    assert.equal(text(path(input, 'ServerCertificateIssuer', 'ReferenceParameters', 'ResourceURI')), `${AMT_URI}AMT_PublicKeyCertificate`);
    assert.deepEqual(selectors(path(input, 'ServerCertificateIssuer', 'ReferenceParameters') as XmlNode), { InstanceID: 'Intel(r) AMT Certificate: Handle: 2' });
    assert.deepEqual(selectors(path(input, 'ClientCertificate', 'ReferenceParameters') as XmlNode), { InstanceID: 'H&3' });
  });

  void it('Enumerate and Pull of AMT_SystemPowerScheme', () => {
    assert.equal(text(child(envelope(enumerateAmtClass(creator, 'AMT_SystemPowerScheme')).header, 'Action')), 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate');
    const pull = envelope(pullAmtClass(creator, 'AMT_SystemPowerScheme', 'ctx&amp;1'));
    assert.equal(text(path(pull.body, 'Pull', 'EnumerationContext')), 'ctx&1');
  });
});

void describe('wsman-messages bodies the helpers rely on', () => {
  void it('RedirectionService.RequestStateChange, IEEE8021x SetCertificates, WiFiEndpointSettings Delete are well-formed', () => {
    const amt = new AMT.Messages();
    assert.equal(text(path(envelope(amt.RedirectionService.RequestStateChange(32771)).body, 'RequestStateChange_INPUT', 'RequestedState')), '32771');
    const certificates = envelope(new IPS.Messages().IEEE8021xSettings.SetCertificates('Handle 1', 'Handle 2'));
    assert.equal(text(child(certificates.header, 'Action')), 'http://intel.com/wbem/wscim/1/ips-schema/1/IPS_IEEE8021xSettings/SetCertificates');
    const deletion = envelope(new CIM.Messages().WiFiEndpointSettings.Delete({ name: 'InstanceID', value: 'p1' }));
    assert.deepEqual(selectors(deletion.header), { InstanceID: 'p1' });
  });
});

void describe('returnValueName', () => {
  void it('names CIM methods by the CIM table and AMT methods by PT_STATUS', () => {
    assert.equal(returnValueName('RequestStateChange', 5), 'INVALID_PARAMETER');
    assert.equal(returnValueName('AddUserAclEntryEx', 0x80a), 'PT_STATUS_DUPLICATE');
    assert.equal(returnValueName('AddUserAclEntryEx', 0x9999), 'UNKNOWN_39321');
  });
});
