import { createMemoryStore } from 'factum';
import { describeEventStoreContract } from 'factum/testing';

describeEventStoreContract('memory', () => createMemoryStore());
