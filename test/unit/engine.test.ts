import { afterEach, describe, expect, it } from 'vitest';
import { FasterError } from '../../src/errors.js';
import { availableEngines, loadNativeBinding, selectBinding } from '../../src/native.js';

const savedEnv = process.env.FASTERKV_ENGINE;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.FASTERKV_ENGINE;
  else process.env.FASTERKV_ENGINE = savedEnv;
});

const nativeLoads = loadNativeBinding().binding !== undefined;

describe('engine selection', () => {
  it('gives the pure-TypeScript twin for engine "js"', () => {
    expect(selectBinding('js').engine).toBe('js');
  });

  it('lets FASTERKV_ENGINE=js override "auto"', () => {
    process.env.FASTERKV_ENGINE = 'js';
    expect(selectBinding('auto').engine).toBe('js');
    expect(selectBinding(undefined).engine).toBe('js');
  });

  it('lets an explicit engine win over FASTERKV_ENGINE', () => {
    process.env.FASTERKV_ENGINE = 'native';
    expect(selectBinding('js').engine).toBe('js');
  });

  it('rejects an unknown engine option, naming the option and the allowed values', () => {
    expect(() => selectBinding('fast' as never)).toThrow(/engine must be 'auto', 'native' or 'js'/);
    try {
      selectBinding('fast' as never);
    } catch (err) {
      expect(err).toBeInstanceOf(FasterError);
      expect((err as FasterError).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('rejects an unknown FASTERKV_ENGINE value', () => {
    process.env.FASTERKV_ENGINE = 'turbo';
    expect(() => selectBinding('auto')).toThrow(/FASTERKV_ENGINE must be/);
  });

  it('picks the addon for "auto" exactly when it loads', () => {
    delete process.env.FASTERKV_ENGINE;
    expect(selectBinding('auto').engine).toBe(nativeLoads ? 'native' : 'js');
    expect(availableEngines()).toEqual(nativeLoads ? ['native', 'js'] : ['js']);
  });

  it.runIf(nativeLoads)('gives the addon for engine "native"', () => {
    expect(selectBinding('native').engine).toBe('native');
  });

  it.runIf(!nativeLoads)('reports ERR_NATIVE_UNAVAILABLE for "native" when the addon is absent', () => {
    expect(() => selectBinding('native')).toThrow(
      expect.objectContaining({ code: 'ERR_NATIVE_UNAVAILABLE' }),
    );
  });

  it.runIf(process.env.FASTERKV_REQUIRE_NATIVE === '1')(
    'has the addon loaded when the environment requires it (CI sets FASTERKV_REQUIRE_NATIVE=1)',
    () => {
      expect(loadNativeBinding().error?.message).toBeUndefined();
      expect(nativeLoads).toBe(true);
    },
  );
});
