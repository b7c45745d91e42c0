//! serde-derived records from CSV lines, by field order: [`SerdeCsv`].
//!
//! ```text
//!   #[derive(Deserialize)] struct Order { id: u64, status: Status, price: f64, note: Option<String> }
//!   line     7,SHIPPED,19.5,
//!   fields   ──▶ RecordDeserializer (a sequence of fields, the count checked against the struct)
//!                  └─▶ FieldDeserializer per field: primitives, String, Option (empty = None),
//!                      unit enum variants by name, newtypes
//! ```
//!
//! A record is a struct, tuple, tuple struct or sequence (`Vec<T>`) of field values. A field
//! cannot hold a nested struct, map or sequence; those are rejected with a clear message, and so
//! is a map as the whole record (CSV fields have positions, not names).

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, SeqAccess, Visitor,
};

use super::csv_format::CsvFields;
use super::csv_problem::{CsvFieldError, CsvProblem};
use super::csv_record::{CsvField, FromCsvRecord};

/// A serde-deserialized record: `CsvReader<SerdeCsv<Order>>` reads `Order`s by field order.
#[derive(Debug, Clone, PartialEq)]
pub struct SerdeCsv<T>(pub T);

impl<T: DeserializeOwned> FromCsvRecord for SerdeCsv<T> {
    fn field_count() -> Option<usize> {
        None
    }

    fn from_fields(fields: &CsvFields<'_>) -> Result<Self, CsvFieldError> {
        T::deserialize(RecordDeserializer { fields })
            .map(SerdeCsv)
            .map_err(|error| error.0)
    }
}

/// The serde error: a [`CsvFieldError`].
#[derive(Debug)]
struct CsvDeError(CsvFieldError);

impl fmt::Display for CsvDeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CsvDeError {}

impl de::Error for CsvDeError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        CsvDeError(CsvFieldError::line(CsvProblem::Deserialize {
            message: message.to_string(),
        }))
    }
}

fn unsupported(column: Option<usize>, what: &str) -> CsvDeError {
    CsvDeError(CsvFieldError {
        column,
        problem: CsvProblem::Deserialize {
            message: what.to_string(),
        },
    })
}

/// The whole line: a sequence of fields.
struct RecordDeserializer<'f, 'a> {
    fields: &'f CsvFields<'a>,
}

impl RecordDeserializer<'_, '_> {
    fn visit_fields<'de, V: Visitor<'de>>(
        self,
        expected: Option<usize>,
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        if let Some(expected) = expected {
            CsvFieldError::check_field_count(expected, self.fields.len()).map_err(CsvDeError)?;
        }
        visitor.visit_seq(FieldSequence {
            fields: self.fields,
            next: 0,
        })
    }
}

impl<'de> Deserializer<'de> for RecordDeserializer<'_, '_> {
    type Error = CsvDeError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CsvDeError> {
        Err(unsupported(
            None,
            "a CSV record reads into a struct, tuple or sequence of field values",
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        field_names: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        self.visit_fields(Some(field_names.len()), visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        self.visit_fields(Some(len), visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        self.visit_fields(Some(len), visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        self.visit_fields(None, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CsvDeError> {
        Err(unsupported(
            None,
            "a map cannot be read from a CSV record (fields have positions, not names); \
             derive a struct",
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct enum identifier ignored_any
    }
}

struct FieldSequence<'f, 'a> {
    fields: &'f CsvFields<'a>,
    next: usize,
}

impl<'de> SeqAccess<'de> for FieldSequence<'_, '_> {
    type Error = CsvDeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, CsvDeError> {
        let column = self.next;
        let Some(bytes) = self.fields.get(column) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(FieldDeserializer { bytes, column })
            .map(Some)
            .map_err(|mut error| {
                error.0.column.get_or_insert(column);
                error
            })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len() - self.next)
    }
}

/// One field.
struct FieldDeserializer<'a> {
    bytes: &'a [u8],
    column: usize,
}

impl FieldDeserializer<'_> {
    fn parse<T: CsvField>(&self) -> Result<T, CsvDeError> {
        T::parse(self.bytes).map_err(|message| {
            CsvDeError(CsvFieldError::field(
                self.column,
                CsvProblem::InvalidField {
                    type_name: std::any::type_name::<T>(),
                    message,
                },
            ))
        })
    }

    fn text(&self) -> Result<&str, CsvDeError> {
        std::str::from_utf8(self.bytes).map_err(|error| {
            CsvDeError(CsvFieldError::field(
                self.column,
                CsvProblem::InvalidField {
                    type_name: "str",
                    message: format!("not UTF-8 ({error})"),
                },
            ))
        })
    }

    fn nested(&self, what: &str) -> CsvDeError {
        unsupported(
            Some(self.column),
            &format!("a CSV field cannot hold a nested {what}"),
        )
    }
}

macro_rules! deserialize_parsed {
    ($($method:ident $visit:ident $type:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
            visitor.$visit(self.parse::<$type>()?)
        }
    )*};
}

impl<'de> Deserializer<'de> for FieldDeserializer<'_> {
    type Error = CsvDeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_str(self.text()?)
    }

    deserialize_parsed! {
        deserialize_bool visit_bool bool,
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
        deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64,
        deserialize_char visit_char char,
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_str(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_str(self.text()?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_bytes(self.bytes)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_bytes(self.bytes)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        if self.bytes.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        if self.bytes.is_empty() {
            visitor.visit_unit()
        } else {
            Err(CsvDeError(CsvFieldError::field(
                self.column,
                CsvProblem::InvalidField {
                    type_name: "()",
                    message: "expected an empty field".to_string(),
                },
            )))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        let variant: StrDeserializer<'_, CsvDeError> = self.text()?.into_deserializer();
        visitor.visit_enum(variant)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_str(self.text()?)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CsvDeError> {
        visitor.visit_unit()
    }

    fn deserialize_seq<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CsvDeError> {
        Err(self.nested("sequence"))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        Err(self.nested("tuple"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        Err(self.nested("tuple struct"))
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CsvDeError> {
        Err(self.nested("map"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, CsvDeError> {
        Err(self.nested("struct"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;
    use crate::connectors::{CsvLineParser, CsvOptions};

    fn record<T: DeserializeOwned>(line: &str) -> Result<T, CsvFieldError> {
        let mut parser = CsvLineParser::new();
        let fields = parser
            .split(line.as_bytes(), &CsvOptions::default())
            .unwrap();
        SerdeCsv::<T>::from_fields(&fields).map(|record| record.0)
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Status {
        Open,
        Shipped,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Price(f64);

    #[derive(Debug, Deserialize, PartialEq)]
    struct Order {
        id: u64,
        status: Status,
        price: Price,
        note: Option<String>,
        #[serde(rename = "flag")]
        urgent: bool,
    }

    #[test]
    fn structs_by_field_order() {
        let order: Order = record(r#"7,Shipped,19.5,,true"#).unwrap();
        assert_eq!(
            order,
            Order {
                id: 7,
                status: Status::Shipped,
                price: Price(19.5),
                note: None,
                urgent: true,
            }
        );
        let order: Order = record(r#"8,Open,1e3,"a, b",0"#).unwrap();
        assert_eq!(order.note.as_deref(), Some("a, b"));
        let tuple: (i8, String) = record("-1,x").unwrap();
        assert_eq!(tuple, (-1, "x".to_string()));
        let all: Vec<u16> = record("1,2,3").unwrap();
        assert_eq!(all, [1, 2, 3]);
    }

    #[test]
    fn errors_name_column_and_reason() {
        let error = record::<Order>("7,Shipped,cheap,,true").unwrap_err();
        assert_eq!(error.column, Some(2));
        assert!(matches!(
            error.problem,
            CsvProblem::InvalidField {
                type_name: "f64",
                ..
            }
        ));

        let error = record::<Order>("7,Lost,1,,true").unwrap_err();
        assert_eq!(error.column, Some(1));
        assert!(error.to_string().contains("Lost"), "{error}");

        assert_eq!(
            record::<Order>("7,Open,1").unwrap_err().problem,
            CsvProblem::FieldCount {
                expected: 5,
                found: 3
            }
        );
    }

    #[test]
    fn nested_values_and_maps_are_rejected_clearly() {
        #[derive(Debug, Deserialize)]
        struct Inner {
            _a: u8,
        }
        #[derive(Debug, Deserialize)]
        struct Outer {
            _inner: Inner,
        }
        let error = record::<Outer>("1").unwrap_err();
        assert_eq!(error.column, Some(0));
        assert!(error.to_string().contains("nested struct"), "{error}");

        let error = record::<HashMap<String, String>>("a,b").unwrap_err();
        assert!(error.to_string().contains("derive a struct"), "{error}");
    }
}
