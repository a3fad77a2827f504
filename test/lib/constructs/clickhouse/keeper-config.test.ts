import { describe, expect, it } from 'vitest';
import { renderKeeperConfig } from '../../../../lib/constructs/clickhouse/keeper-config.js';
import { layoutOf, SHAPES, ZONE } from './shapes.js';

describe.each(SHAPES.filter((shape) => shape.keeperNodes > 0))('renderKeeperConfig, $label', (shape) => {
  it('gives each Keeper node its server id and the raft ensemble by name, ids 1..N', () => {
    for (let id = 1; id <= shape.keeperNodes; id++) {
      const xml = renderKeeperConfig(layoutOf(shape), id, { listenHost: '10.0.2.7' });
      expect(xml).toContain(`<server_id>${id}</server_id>`);
      expect(xml).toContain('<listen_host>10.0.2.7</listen_host>');
      expect(xml).toContain('<tcp_port>9181</tcp_port>');
      const servers = [
        ...xml.matchAll(/<id>(\d+)<\/id>\s*<hostname>([^<]+)<\/hostname>\s*<port>9234<\/port>/g),
      ];
      expect(servers.map((m) => [Number(m[1]), m[2]])).toEqual(
        Array.from({ length: shape.keeperNodes }, (_, k) => [k + 1, `keeper${k + 1}.${ZONE}`]),
      );
    }
  });
});
