import { createMemoryStore } from 'factum';
import { describeCommandSideContract } from 'factum/testing';

describeCommandSideContract('memory', () => createMemoryStore());
